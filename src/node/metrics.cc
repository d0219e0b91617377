#include "node/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cmath>

namespace quanta::node {
namespace {

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

std::string EscapeHelp(std::string_view help) {
  std::string escaped;
  for (char c : help) {
    if (c == '\\') {
      escaped += "\\\\";
    } else if (c == '\n') {
      escaped += "\\n";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

// `{a="x",b="y"}`, with `extra` (e.g. le="0.5") last; empty when there are no labels at all.
std::string FormatLabels(const std::vector<std::string>& names,
                         const std::vector<std::string>& values, std::string_view extra = {}) {
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < names.size(); ++i) {
    parts.push_back(fmt::format("{}=\"{}\"", names[i], EscapeLabelValue(values[i])));
  }
  if (!extra.empty()) parts.emplace_back(extra);
  if (parts.empty()) return "";
  return fmt::format("{{{}}}", fmt::join(parts, ","));
}

void AtomicAdd(std::atomic<double>& target, double amount) {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + amount, std::memory_order_relaxed)) {
  }
}

}  // namespace

bool IsValidMetricName(std::string_view name) {
  if (name.empty() || !(IsNameStart(name[0]) || name[0] == ':')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return IsNameChar(c) || c == ':'; });
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty() || !IsNameStart(name[0]) || name.substr(0, 2) == "__") return false;
  return std::all_of(name.begin(), name.end(), IsNameChar);
}

std::string EscapeLabelValue(std::string_view value) {
  std::string escaped;
  escaped.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      escaped += "\\\\";
    } else if (c == '"') {
      escaped += "\\\"";
    } else if (c == '\n') {
      escaped += "\\n";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

void Counter::Increment(double amount) {
  if (!(amount > 0)) return;
  AtomicAdd(value_, amount);
}

void Gauge::Add(double amount) { AtomicAdd(value_, amount); }

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::Observe(double value) {
  std::size_t bucket = static_cast<std::size_t>(
      std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  std::lock_guard lock(mutex_);
  counts_[bucket]++;
  sum_ += value;
  count_++;
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot snapshot;
  snapshot.bounds = bounds_;
  std::lock_guard lock(mutex_);
  std::uint64_t running = 0;
  for (std::uint64_t count : counts_) {
    running += count;
    snapshot.cumulative_counts.push_back(running);
  }
  snapshot.sum = sum_;
  snapshot.count = count_;
  return snapshot;
}

template <typename Metric>
Metric& Family<Metric>::WithLabels(const std::vector<std::string>& label_values) {
  std::vector<std::string> key = label_values;
  assert(key.size() == label_names_.size() && "one value per label name");
  key.resize(label_names_.size());
  std::lock_guard lock(mutex_);
  auto found = children_.find(key);
  if (found != children_.end()) return *found->second;
  std::unique_ptr<Metric> metric;
  if constexpr (std::is_same_v<Metric, Histogram>) {
    metric = std::make_unique<Histogram>(bounds_);
  } else {
    metric = std::make_unique<Metric>();
  }
  Metric& result = *metric;
  children_.emplace(std::move(key), std::move(metric));
  return result;
}

// Only gauges have it: a counter or a histogram that went backwards would break rate().
template <>
void Family<Gauge>::ReplaceAll(const std::map<std::vector<std::string>, double>& values) {
  std::map<std::vector<std::string>, std::unique_ptr<Gauge>> children;
  for (const auto& [labels, value] : values) {
    std::vector<std::string> key = labels;
    assert(key.size() == label_names_.size() && "one value per label name");
    key.resize(label_names_.size());
    auto gauge = std::make_unique<Gauge>();
    gauge->Set(value);
    children.emplace(std::move(key), std::move(gauge));
  }
  std::lock_guard lock(mutex_);
  children_ = std::move(children);
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

std::vector<double> MetricsRegistry::LatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

MetricsRegistry::Entry* MetricsRegistry::Register(Type type, const std::string& name,
                                                  const std::vector<std::string>& label_names) {
  bool valid = IsValidMetricName(name) &&
               std::all_of(label_names.begin(), label_names.end(), [&](const std::string& label) {
                 return IsValidLabelName(label) && !(type == Type::kHistogram && label == "le");
               });
  auto found = entries_.find(name);
  if (valid && found == entries_.end()) {
    Entry& entry = entries_[name];
    entry.type = type;
    entry.label_names = label_names;
    return &entry;
  }
  if (valid && found->second.type == type && found->second.label_names == label_names) {
    return &found->second;
  }
  assert(false && "invalid metric or label name, or a clash with another family of that name");
  Entry& detached = detached_.emplace_back();
  detached.type = type;
  detached.label_names = label_names;
  return &detached;
}

Family<Counter>& MetricsRegistry::AddCounter(std::string name, std::string help,
                                             std::vector<std::string> label_names) {
  std::lock_guard lock(mutex_);
  Entry* entry = Register(Type::kCounter, name, label_names);
  if (!entry->counter) {
    entry->counter.reset(new Family<Counter>(name, std::move(help), std::move(label_names), {}));
    if (entry->label_names.empty()) entry->counter->WithLabels({});
  }
  return *entry->counter;
}

Family<Gauge>& MetricsRegistry::AddGauge(std::string name, std::string help,
                                         std::vector<std::string> label_names) {
  std::lock_guard lock(mutex_);
  Entry* entry = Register(Type::kGauge, name, label_names);
  if (!entry->gauge) {
    entry->gauge.reset(new Family<Gauge>(name, std::move(help), std::move(label_names), {}));
    if (entry->label_names.empty()) entry->gauge->WithLabels({});
  }
  return *entry->gauge;
}

Family<Histogram>& MetricsRegistry::AddHistogram(std::string name, std::string help,
                                                 std::vector<std::string> label_names,
                                                 std::vector<double> bounds) {
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  bounds.erase(std::remove_if(bounds.begin(), bounds.end(),
                              [](double bound) { return !std::isfinite(bound); }),
               bounds.end());
  std::lock_guard lock(mutex_);
  Entry* entry = Register(Type::kHistogram, name, label_names);
  if (!entry->histogram) {
    entry->histogram.reset(
        new Family<Histogram>(name, std::move(help), std::move(label_names), std::move(bounds)));
    if (entry->label_names.empty()) entry->histogram->WithLabels({});
  }
  return *entry->histogram;
}

std::string MetricsRegistry::Render() const {
  std::string out;
  std::lock_guard lock(mutex_);
  for (const auto& [name, entry] : entries_) {
    const std::string& family_name = name;  // clang 14 cannot capture a structured binding
    auto header = [&](std::string_view help, std::string_view type) {
      out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", family_name, EscapeHelp(help), family_name,
                         type);
    };
    if (entry.counter) {
      const Family<Counter>& family = *entry.counter;
      header(family.help_, "counter");
      std::lock_guard family_lock(family.mutex_);
      for (const auto& [values, counter] : family.children_) {
        out += fmt::format("{}{} {}\n", name, FormatLabels(family.label_names_, values),
                           FormatValue(counter->value()));
      }
    } else if (entry.gauge) {
      const Family<Gauge>& family = *entry.gauge;
      header(family.help_, "gauge");
      std::lock_guard family_lock(family.mutex_);
      for (const auto& [values, gauge] : family.children_) {
        out += fmt::format("{}{} {}\n", name, FormatLabels(family.label_names_, values),
                           FormatValue(gauge->value()));
      }
    } else if (entry.histogram) {
      const Family<Histogram>& family = *entry.histogram;
      header(family.help_, "histogram");
      std::lock_guard family_lock(family.mutex_);
      for (const auto& [values, histogram] : family.children_) {
        Histogram::Snapshot snapshot = histogram->snapshot();
        for (std::size_t i = 0; i <= snapshot.bounds.size(); ++i) {
          std::string le = i < snapshot.bounds.size()
                               ? fmt::format("le=\"{}\"", FormatValue(snapshot.bounds[i]))
                               : std::string("le=\"+Inf\"");
          out +=
              fmt::format("{}_bucket{} {}\n", name, FormatLabels(family.label_names_, values, le),
                          snapshot.cumulative_counts[i]);
        }
        std::string labels = FormatLabels(family.label_names_, values);
        out += fmt::format("{}_sum{} {}\n", name, labels, FormatValue(snapshot.sum));
        out += fmt::format("{}_count{} {}\n", name, labels, snapshot.count);
      }
    }
  }
  return out;
}

}  // namespace quanta::node
