#include "switchboard/xds/snapshot_cache_file.h"

#include <cstdint>
#include <limits>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "switchboard/common/json_text.h"
#include "switchboard/xds/resource_version.h"

namespace switchboard::xds {
namespace {

using json = nlohmann::json;

absl::Status ContentError(absl::string_view path, absl::string_view where, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", where, ": ", what));
}

// Names from a registry may hold any bytes; JSON wants UTF-8, so a bad
// byte becomes U+FFFD rather than an exception.
std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

json InstanceJson(const Instance& instance) {
  const InstanceMetadata& m = instance.metadata;
  return json{{"service", instance.service}, {"address", instance.address},
              {"weight", m.weight},          {"zone", m.zone},
              {"version", m.version},        {"draining", m.draining},
              {"labels", m.labels}};
}

absl::Status StringField(const json& object, const char* key, absl::string_view path,
                         const std::string& where, bool required, std::string* out) {
  auto it = object.find(key);
  if (it == object.end()) {
    return required ? ContentError(path, where, absl::StrCat("missing \"", key, "\""))
                    : absl::OkStatus();
  }
  if (!it->is_string() || (required && it->get_ref<const std::string&>().empty())) {
    return ContentError(path, absl::StrCat(where, ".", key),
                        required ? "must be a non-empty string" : "must be a string");
  }
  *out = it->get<std::string>();
  return absl::OkStatus();
}

absl::StatusOr<Instance> ParseInstance(const json& item, absl::string_view path,
                                       const std::string& where) {
  if (!item.is_object()) return ContentError(path, where, "must be an object");
  Instance instance;
  InstanceMetadata& m = instance.metadata;
  if (absl::Status s = StringField(item, "service", path, where, true, &instance.service); !s.ok()) {
    return s;
  }
  if (absl::Status s = StringField(item, "address", path, where, true, &instance.address); !s.ok()) {
    return s;
  }
  if (absl::Status s = StringField(item, "zone", path, where, false, &m.zone); !s.ok()) return s;
  if (absl::Status s = StringField(item, "version", path, where, false, &m.version); !s.ok()) {
    return s;
  }
  if (auto it = item.find("weight"); it != item.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1 ||
        it->get<int64_t>() > InstanceMetadata::kMaxWeight ||
        (it->is_number_unsigned() && it->get<uint64_t>() > InstanceMetadata::kMaxWeight)) {
      return ContentError(path, absl::StrCat(where, ".weight"),
                          absl::StrCat("must be an integer in 1..", InstanceMetadata::kMaxWeight,
                                       ", got ", Dump(*it)));
    }
    m.weight = static_cast<uint32_t>(it->get<int64_t>());
  }
  if (auto it = item.find("draining"); it != item.end()) {
    if (!it->is_boolean()) return ContentError(path, absl::StrCat(where, ".draining"), "must be true or false");
    m.draining = it->get<bool>();
  }
  if (auto it = item.find("labels"); it != item.end()) {
    if (!it->is_object()) {
      return ContentError(path, absl::StrCat(where, ".labels"), "must be an object of strings");
    }
    for (const auto& [name, label] : it->items()) {
      if (!label.is_string()) {
        return ContentError(path, absl::StrCat(where, ".labels.", name), "must be a string");
      }
      m.labels[name] = label.get<std::string>();
    }
  }
  return instance;
}

}  // namespace

std::string EncodeSnapshotCache(const SnapshotCacheEntry& entry) {
  json header{{"format_version", kSnapshotCacheFormatVersion},
              {"source", entry.source},
              {"written_at", absl::FormatTime(absl::RFC3339_full, entry.written_at,
                                              absl::UTCTimeZone())},
              {"revision", entry.snapshot->revision()}};
  // The header's fields, then one instance per line: a file a person can
  // read and diff.
  std::string text = Dump(header);
  text.pop_back();  // the closing brace
  absl::StrAppend(&text, ",\"instances\":[");
  bool first = true;
  for (const auto& [service, instances] : entry.snapshot->services()) {
    for (const Instance& instance : *instances) {
      absl::StrAppend(&text, first ? "\n  " : ",\n  ", Dump(InstanceJson(instance)));
      first = false;
    }
  }
  absl::StrAppend(&text, first ? "]}\n" : "\n]}\n");
  return text;
}

absl::StatusOr<SnapshotCacheEntry> DecodeSnapshotCache(absl::string_view text,
                                                       absl::string_view path) {
  absl::StatusOr<json> parsed = ParseJsonText(text, path);
  if (!parsed.ok()) return parsed.status();
  const json& root = *parsed;
  if (!root.is_object()) return ContentError(path, "top level", "must be an object");

  auto version = root.find("format_version");
  if (version == root.end()) return ContentError(path, "top level", "missing \"format_version\"");
  if (!version->is_number_integer() || version->get<int64_t>() != kSnapshotCacheFormatVersion) {
    return ContentError(path, "format_version",
                        absl::StrCat("must be ", kSnapshotCacheFormatVersion, ", got ", Dump(*version),
                                     " (written by another version of switchboard?)"));
  }
  SnapshotCacheEntry entry;
  if (absl::Status s = StringField(root, "source", path, "top level", true, &entry.source); !s.ok()) {
    return s;
  }
  std::string written_at;
  if (absl::Status s = StringField(root, "written_at", path, "top level", true, &written_at);
      !s.ok()) {
    return s;
  }
  std::string time_error;
  if (!absl::ParseTime(absl::RFC3339_full, written_at, &entry.written_at, &time_error)) {
    return ContentError(path, "written_at",
                        absl::StrCat("not an RFC 3339 time: \"", written_at, "\" (", time_error, ")"));
  }
  int64_t revision = 0;
  if (auto it = root.find("revision"); it != root.end()) {
    if (!it->is_number_integer() ||
        (it->is_number_unsigned() &&
         it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))) {
      return ContentError(path, "revision", absl::StrCat("must be an integer, got ", Dump(*it)));
    }
    revision = it->get<int64_t>();
  }
  auto list = root.find("instances");
  if (list == root.end()) return ContentError(path, "top level", "missing \"instances\"");
  if (!list->is_array()) return ContentError(path, "instances", "must be a list of instances");
  std::vector<Instance> instances;
  instances.reserve(list->size());
  for (size_t i = 0; i < list->size(); ++i) {
    absl::StatusOr<Instance> instance = ParseInstance((*list)[i], path, absl::StrCat("instances[", i, "]"));
    if (!instance.ok()) return instance.status();
    instances.push_back(*std::move(instance));
  }
  entry.snapshot = Snapshot::Create(std::move(instances), revision);
  return entry;
}

std::string SnapshotCacheFileName(absl::string_view source) {
  return absl::StrFormat("source-%016x.json", Fnv1a64(source));
}

}  // namespace switchboard::xds
