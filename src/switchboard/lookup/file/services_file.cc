#include "switchboard/lookup/file/services_file.h"

#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "switchboard/common/host_port.h"

namespace switchboard {
namespace {

using json = nlohmann::json;

absl::Status ContentError(absl::string_view path, absl::string_view where, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", where, ": ", what));
}

absl::StatusOr<std::string> StringField(const json& value, absl::string_view path, const std::string& where) {
  if (!value.is_string()) return ContentError(path, where, "must be a string");
  return value.get<std::string>();
}

absl::StatusOr<Instance> ParseInstance(const json& item, const std::string& service,
                                       absl::string_view path, const std::string& where) {
  Instance instance;
  instance.service = service;
  std::string address;
  if (item.is_string()) {
    address = item.get<std::string>();
  } else if (item.is_object()) {
    if (item.contains("address") && item.contains("addr")) {
      return ContentError(path, where, "give either \"address\" or \"addr\", not both");
    }
    for (const auto& [key, value] : item.items()) {
      std::string at = absl::StrCat(where, ".", key);
      if (key == "address" || key == "addr") {
        absl::StatusOr<std::string> s = StringField(value, path, at);
        if (!s.ok()) return s.status();
        address = *s;
      } else if (key == "weight") {
        if (!value.is_number_integer() || value.get<int64_t>() < 1 ||
            value.get<int64_t>() > InstanceMetadata::kMaxWeight) {
          return ContentError(path, at, absl::StrCat("must be an integer in 1..", InstanceMetadata::kMaxWeight,
                                                     ", got ", value.dump()));
        }
        instance.metadata.weight = static_cast<uint32_t>(value.get<int64_t>());
      } else if (key == "zone" || key == "version") {
        absl::StatusOr<std::string> s = StringField(value, path, at);
        if (!s.ok()) return s.status();
        (key == "zone" ? instance.metadata.zone : instance.metadata.version) = *s;
      } else if (key == "draining") {
        if (!value.is_boolean()) return ContentError(path, at, "must be true or false");
        instance.metadata.draining = value.get<bool>();
      } else if (key == "labels") {
        if (!value.is_object()) return ContentError(path, at, "must be an object of strings");
        for (const auto& [name, label] : value.items()) {
          absl::StatusOr<std::string> s = StringField(label, path, absl::StrCat(at, ".", name));
          if (!s.ok()) return s.status();
          instance.metadata.labels[name] = *s;
        }
      } else {
        return ContentError(path, at,
                            "unknown key (known: address, weight, zone, version, draining, labels)");
      }
    }
    if (address.empty() && !item.contains("address") && !item.contains("addr")) {
      return ContentError(path, where, "missing \"address\"");
    }
  } else {
    return ContentError(path, where, "must be \"host:port\" or an object with an \"address\"");
  }
  absl::StatusOr<HostPort> hp = ParseHostPort(address);
  if (!hp.ok()) return ContentError(path, where, absl::StrCat("bad address ", hp.status().message()));
  instance.address = hp->ToString();
  return instance;
}

}  // namespace

absl::StatusOr<std::vector<Instance>> ParseServicesFile(absl::string_view text, absl::string_view path) {
  if (absl::StripAsciiWhitespace(text).empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": file is empty"));
  }
  absl::StatusOr<json> parsed = ParseJsonText(text, path);
  if (!parsed.ok()) return parsed.status();
  const json& root = *parsed;
  if (!root.is_object()) return ContentError(path, "top level", "must be an object with \"services\"");
  auto services = root.find("services");
  if (services == root.end()) return ContentError(path, "top level", "missing \"services\"");
  if (!services->is_object()) {
    return ContentError(path, "services", "must be an object: service name -> list of instances");
  }
  std::vector<Instance> instances;
  for (const auto& [service, list] : services->items()) {
    std::string where = absl::StrCat("services.", service);
    if (service.empty()) return ContentError(path, where, "service names must not be empty");
    if (!list.is_array()) return ContentError(path, where, "must be a list of instances");
    std::set<std::string> seen;
    for (size_t i = 0; i < list.size(); ++i) {
      std::string at = absl::StrCat(where, "[", i, "]");
      absl::StatusOr<Instance> instance = ParseInstance(list[i], service, path, at);
      if (!instance.ok()) return instance.status();
      if (!seen.insert(instance->address).second) {
        return ContentError(path, at, absl::StrCat("address ", instance->address, " is listed twice"));
      }
      instances.push_back(*std::move(instance));
    }
  }
  return instances;
}

}  // namespace switchboard
