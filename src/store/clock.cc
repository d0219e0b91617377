#include "store/clock.h"

#include <fmt/format.h>

#include <cctype>

namespace quanta::store {
namespace {

using std::chrono::days;
using std::chrono::microseconds;

struct Civil {
  int year;
  unsigned month, day;
  std::int64_t hours, minutes, seconds, micros;
};

Civil ToCivil(Timestamp time) {
  auto day_point = std::chrono::floor<days>(time);
  std::chrono::year_month_day date{day_point};
  std::int64_t of_day = (time - day_point).count();
  Civil civil;
  civil.year = static_cast<int>(date.year());
  civil.month = static_cast<unsigned>(date.month());
  civil.day = static_cast<unsigned>(date.day());
  civil.micros = of_day % 1000000;
  of_day /= 1000000;
  civil.seconds = of_day % 60;
  of_day /= 60;
  civil.minutes = of_day % 60;
  civil.hours = of_day / 60;
  return civil;
}

// Reads exactly `width` digits at `pos`.
bool ReadDigits(std::string_view text, std::size_t& pos, int width, int& value) {
  if (pos + width > text.size()) return false;
  value = 0;
  for (int i = 0; i < width; ++i) {
    char c = text[pos + i];
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    value = value * 10 + (c - '0');
  }
  pos += width;
  return true;
}

bool Expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

std::int64_t ToUnixMicros(Timestamp time) { return time.time_since_epoch().count(); }

Timestamp FromUnixMicros(std::int64_t micros) { return Timestamp(microseconds(micros)); }

std::string FormatTimestamp(Timestamp time) {
  Civil c = ToCivil(time);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", c.year, c.month, c.day, c.hours,
                     c.minutes, c.seconds, c.micros);
}

std::string TimestampSqlLiteral(Timestamp time) {
  Civil c = ToCivil(time);
  return fmt::format("'{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}+00'::TIMESTAMPTZ", c.year, c.month,
                     c.day, c.hours, c.minutes, c.seconds, c.micros);
}

std::optional<Timestamp> ParseTimestamp(std::string_view text) {
  std::size_t pos = 0;
  int year, month, day;
  if (!ReadDigits(text, pos, 4, year) || !Expect(text, pos, '-') ||
      !ReadDigits(text, pos, 2, month) || !Expect(text, pos, '-') ||
      !ReadDigits(text, pos, 2, day)) {
    return std::nullopt;
  }
  std::chrono::year_month_day date{std::chrono::year(year), std::chrono::month(month),
                                   std::chrono::day(day)};
  if (!date.ok()) return std::nullopt;
  int hours = 0, minutes = 0, seconds = 0;
  std::int64_t micros = 0;
  std::int64_t offset_minutes = 0;
  if (pos < text.size()) {
    if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') return std::nullopt;
    ++pos;
    if (!ReadDigits(text, pos, 2, hours) || !Expect(text, pos, ':') ||
        !ReadDigits(text, pos, 2, minutes)) {
      return std::nullopt;
    }
    if (pos < text.size() && text[pos] == ':') {
      ++pos;
      if (!ReadDigits(text, pos, 2, seconds)) return std::nullopt;
      if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
        ++pos;
        int digits = 0;
        while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
          // Digits beyond microseconds are dropped (DuckDB keeps microseconds).
          if (digits < 6) micros = micros * 10 + (text[pos] - '0');
          ++digits;
          ++pos;
        }
        if (digits == 0) return std::nullopt;
        for (int i = digits; i < 6; ++i) micros *= 10;
      }
    }
    if (hours > 23 || minutes > 59 || seconds > 60) return std::nullopt;
    if (pos < text.size()) {
      char sign = text[pos];
      if (sign == 'Z' || sign == 'z') {
        ++pos;
      } else if (sign == '+' || sign == '-') {
        ++pos;
        int offset_hours = 0, offset_mins = 0;
        if (!ReadDigits(text, pos, 2, offset_hours)) return std::nullopt;
        if (pos < text.size()) {
          Expect(text, pos, ':');
          if (!ReadDigits(text, pos, 2, offset_mins)) return std::nullopt;
        }
        offset_minutes = (offset_hours * 60 + offset_mins) * (sign == '-' ? -1 : 1);
      } else {
        return std::nullopt;
      }
    }
    if (pos != text.size()) return std::nullopt;
  }
  Timestamp local = std::chrono::sys_days(date) + std::chrono::hours(hours) +
                    std::chrono::minutes(minutes) + std::chrono::seconds(seconds) +
                    microseconds(micros);
  return local - std::chrono::minutes(offset_minutes);
}

Timestamp SystemClock::Now() {
  return std::chrono::time_point_cast<microseconds>(std::chrono::system_clock::now());
}

Timestamp ManualClock::Now() {
  std::lock_guard lock(mutex_);
  return now_;
}

void ManualClock::Set(Timestamp time) {
  std::lock_guard lock(mutex_);
  now_ = time;
}

void ManualClock::Advance(std::chrono::microseconds delta) {
  std::lock_guard lock(mutex_);
  now_ += delta;
}

}  // namespace quanta::store
