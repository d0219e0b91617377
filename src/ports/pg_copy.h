#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace quanta::ports {

/// How COPY ... TO STDOUT writes rows, as its options said.
struct PgCopyOptions {
  enum class Format { kText, kCsv, kBinary };
  Format format = Format::kText;
  bool header = false;                   ///< csv and text: a first line of column names
  char delimiter = '\t';                 ///< text: tab; csv: comma
  std::string null;                      ///< how NULL is written: text `\N`, csv the empty string
  char quote = '"';                      ///< csv
  char escape = '"';                     ///< csv: written before a quote (or itself) inside quotes
  bool force_quote_all = false;          ///< csv FORCE_QUOTE *
  std::vector<std::string> force_quote;  ///< csv FORCE_QUOTE (columns), as written
};

/// A COPY statement the SQL port runs: the SELECT whose rows it writes and how.
struct PgCopyCommand {
  /// `(query)`'s query, or `SELECT columns FROM table` for `COPY table [(columns)]`.
  std::string select;
  PgCopyOptions options;
};

/// Reads `COPY { table [(column, ...)] | (query) } TO STDOUT [[WITH] (option, ...)]`, and the
/// older spelling `... TO STDOUT [WITH] [BINARY] [CSV] [HEADER] [DELIMITER [AS] 'c']
/// [NULL [AS] 's'] [QUOTE [AS] 'q'] [ESCAPE [AS] 'e'] [FORCE QUOTE { * | column, ... }]`. The
/// options are PostgreSQL's for COPY TO: FORMAT text, csv or binary, HEADER, DELIMITER, NULL,
/// QUOTE, ESCAPE, FORCE_QUOTE and ENCODING 'UTF8'. Anything else is refused, naming it:
/// COPY FROM, a file or a program (NotSupported, 0A000: the port is read-only), an unknown
/// option (Usage, 42601), an unknown format or encoding (InvalidDocument, 22023), and the
/// combinations PostgreSQL refuses (an option of another format, a delimiter equal to the
/// quote). The table, columns and query are not checked here: the sandbox checks the SELECT.
Result<PgCopyCommand> ParsePgCopy(std::string_view text);

}  // namespace quanta::ports
