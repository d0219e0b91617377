#include "ports/http_router.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace quanta::ports {
namespace {

bool IsParameter(std::string_view segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

bool IsValidParameterName(std::string_view name) {
  if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

bool IsValidMethod(std::string_view method) {
  return !method.empty() &&
         std::all_of(method.begin(), method.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

std::vector<std::string> SplitPattern(std::string_view pattern) {
  std::vector<std::string> segments;
  std::size_t start = 1;
  while (start <= pattern.size()) {
    std::size_t end = pattern.find('/', start);
    if (end == std::string_view::npos) end = pattern.size();
    segments.emplace_back(pattern.substr(start, end - start));
    start = end + 1;
  }
  if (segments.size() == 1 && segments[0].empty()) segments.clear();  // "/" itself
  return segments;
}

bool SameShape(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    bool a_parameter = IsParameter(a[i]);
    if (a_parameter != IsParameter(b[i])) return false;
    if (!a_parameter && a[i] != b[i]) return false;
  }
  return true;
}

// Fills `params` and returns true when `route_segments` matches the path.
bool MatchSegments(const std::vector<std::string>& route_segments,
                   const std::vector<std::string>& path,
                   std::map<std::string, std::string, std::less<>>* params) {
  if (route_segments.size() != path.size()) return false;
  for (std::size_t i = 0; i < path.size(); ++i) {
    const std::string& segment = route_segments[i];
    if (IsParameter(segment)) {
      if (path[i].empty()) return false;
      (*params)[segment.substr(1, segment.size() - 2)] = path[i];
    } else if (segment != path[i]) {
      return false;
    }
  }
  return true;
}

// True when `a` is more specific than `b`: a literal where `b` has a parameter, first.
bool MoreSpecific(const Route& a, const Route& b) {
  for (std::size_t i = 0; i < a.segments.size() && i < b.segments.size(); ++i) {
    bool a_parameter = IsParameter(a.segments[i]);
    bool b_parameter = IsParameter(b.segments[i]);
    if (a_parameter != b_parameter) return !a_parameter;
  }
  return false;
}

}  // namespace

Status HttpRouter::Add(std::string method, std::string_view pattern, HttpHandler handler,
                       RouteOptions options) {
  if (!IsValidMethod(method)) {
    return Status::Usage("route {}: method '{}' must be an upper-case token such as GET", pattern,
                         method);
  }
  if (pattern.empty() || pattern.front() != '/') {
    return Status::Usage("route '{}': a pattern starts with '/'", pattern);
  }
  std::vector<std::string> segments = SplitPattern(pattern);
  std::set<std::string, std::less<>> names;
  for (const std::string& segment : segments) {
    if (IsParameter(segment)) {
      std::string name = segment.substr(1, segment.size() - 2);
      if (!IsValidParameterName(name)) {
        return Status::Usage("route '{}': parameter '{}' needs a name of letters, digits and _",
                             pattern, segment);
      }
      if (!names.insert(name).second) {
        return Status::Usage("route '{}': parameter '{{{}}}' appears twice", pattern, name);
      }
    } else if (segment.find_first_of("{}") != std::string::npos) {
      return Status::Usage(
          "route '{}': segment '{}' mixes text and a parameter; a parameter is a whole segment",
          pattern, segment);
    }
  }
  for (const Route& route : routes_) {
    if (route.method == method && SameShape(route.segments, segments)) {
      return Status::Usage("route {} {} clashes with {} {}, added before", method, pattern,
                           route.method, route.pattern);
    }
  }
  routes_.push_back(Route{std::move(method), std::string(pattern), std::move(segments),
                          std::move(handler), options});
  return Status::Ok();
}

RouteMatch HttpRouter::Match(std::string_view method,
                             const std::vector<std::string>& segments) const {
  RouteMatch best;
  std::set<std::string> other_methods;
  auto search = [&](std::string_view wanted) {
    for (const Route& route : routes_) {
      std::map<std::string, std::string, std::less<>> params;
      if (!MatchSegments(route.segments, segments, &params)) continue;
      if (route.method != wanted) {
        other_methods.insert(route.method);
        if (route.method == "GET") other_methods.insert("HEAD");
        continue;
      }
      if (best.route == nullptr || MoreSpecific(route, *best.route)) {
        best.route = &route;
        best.params = std::move(params);
      }
    }
  };
  search(method);
  if (best.route == nullptr && method == "HEAD") search("GET");
  if (best.route == nullptr) {
    best.allowed_methods.assign(other_methods.begin(), other_methods.end());
  }
  return best;
}

}  // namespace quanta::ports
