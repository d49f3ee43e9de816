// The file scheme: its URI form, parsed into FileSourceOptions, and its
// factory (lookup/lookup_source_factory.h).
//
//   file:///absolute/path/services.json   (or file://localhost/...)
//
// Example:
//   absl::StatusOr<FileSourceOptions> options = FileSourceOptionsFromUri(
//       *ParseSourceUri("file:///etc/switchboard/services.json?watch=false"));
//   FileSource source(*std::move(options));
//
// Pure and thread-safe.
#ifndef SWITCHBOARD_LOOKUP_FILE_FILE_FACTORY_H_
#define SWITCHBOARD_LOOKUP_FILE_FILE_FACTORY_H_

#include <memory>

#include "absl/status/statusor.h"
#include "switchboard/lookup/file/file_source.h"
#include "switchboard/lookup/lookup_source_factory.h"
#include "switchboard/lookup/source_uri.h"

namespace switchboard {

// A file URI as FileSourceOptions. The path is percent-decoded. Query
// parameters: watch (default true) and the periodic ones (interval, timeout,
// jitter, max_backoff).
absl::StatusOr<FileSourceOptions> FileSourceOptionsFromUri(const SourceUri& uri);

// The factory of "file".
std::unique_ptr<LookupSourceFactory> MakeFileSourceFactory();

}  // namespace switchboard

#endif  // SWITCHBOARD_LOOKUP_FILE_FILE_FACTORY_H_
