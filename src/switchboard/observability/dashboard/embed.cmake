# Writes OUTPUT, a .cc defining switchboard::observability::DashboardHtml()
# with the text of INPUT as a raw string literal.
file(READ ${INPUT} text)
if(text MATCHES "\\)sb_asset\"")
  message(FATAL_ERROR "${INPUT} contains the raw-string delimiter )sb_asset\"")
endif()
file(WRITE ${OUTPUT} "// Generated from ${INPUT} by embed.cmake; do not edit.\n"
  "#include \"switchboard/observability/dashboard.h\"\n\n"
  "namespace switchboard::observability {\n\n"
  "absl::string_view DashboardHtml() {\n"
  "  static constexpr char kHtml[] = R\"sb_asset(${text})sb_asset\";\n"
  "  return {kHtml, sizeof(kHtml) - 1};\n"
  "}\n\n"
  "}  // namespace switchboard::observability\n")
