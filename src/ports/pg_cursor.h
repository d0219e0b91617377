#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace quanta::ports {

/// `DECLARE name [BINARY] [ASENSITIVE | INSENSITIVE] [[NO] SCROLL] CURSOR
/// [{WITH | WITHOUT} HOLD] FOR query`, as PostgreSQL spells it.
struct PgDeclareCursor {
  std::string name;  ///< folded to lower case unless it was quoted, as PostgreSQL does
  bool binary = false;
  bool scroll = false;           ///< SCROLL was given
  bool no_scroll = false;        ///< NO SCROLL was given
  bool hold = false;             ///< WITH HOLD
  std::string query;             ///< the text after FOR
  std::size_t query_offset = 0;  ///< where `query` starts in the statement (bytes)
};

/// `FETCH` or `MOVE` [direction] [FROM | IN] name, with PostgreSQL's directions reduced to
/// four: NEXT is FORWARD 1, PRIOR BACKWARD 1, FIRST ABSOLUTE 1, LAST ABSOLUTE -1, a bare
/// count FORWARD count (a negative one BACKWARD), ALL FORWARD ALL.
struct PgFetchCursor {
  enum class Direction { kForward, kBackward, kAbsolute, kRelative };
  bool move = false;  ///< MOVE: position only, send no rows
  Direction direction = Direction::kForward;
  std::int64_t count = 1;  ///< rows for kForward and kBackward; the row for the other two
  bool all = false;        ///< FORWARD ALL or BACKWARD ALL
  std::string name;        ///< folded like PgDeclareCursor::name
};

/// `CLOSE name` or `CLOSE ALL`.
struct PgCloseCursor {
  bool all = false;
  std::string name;
};

/// Parses a DECLARE statement; Usage (42601) naming the word that does not fit.
Result<PgDeclareCursor> ParsePgDeclare(std::string_view statement);
/// Parses a FETCH or MOVE statement; Usage naming the word that does not fit.
Result<PgFetchCursor> ParsePgFetch(std::string_view statement);
/// Parses a CLOSE statement; Usage naming the word that does not fit.
Result<PgCloseCursor> ParsePgClose(std::string_view statement);

/// What a FETCH or MOVE does to a cursor that reads forward only, at `position` (the rows it
/// has passed; its current row, when position > 0): pass `skip` rows unseen, then fetch (or,
/// for MOVE, pass and count) `rows` more, or every row left when `all`.
struct PgForwardFetch {
  std::int64_t skip = 0;
  std::int64_t rows = 0;
  bool all = false;
};

/// Plans `fetch` at `position`. Fails, with the words of PostgreSQL's 55000 "cursor can only
/// scan forward", for a fetch that needs an earlier row: BACKWARD, PRIOR, FIRST after the
/// first row, LAST, ABSOLUTE of a passed row, RELATIVE 0 or less, FORWARD 0.
Result<PgForwardFetch> PlanForwardFetch(const PgFetchCursor& fetch, std::int64_t position);

/// The SQLSTATE of a fetch that PlanForwardFetch refuses (object_not_in_prerequisite_state).
inline constexpr char kCursorCannotScanBackward[] = "55000";

}  // namespace quanta::ports
