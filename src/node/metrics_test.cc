#include "node/metrics.h"

#include <gtest/gtest.h>

#include <thread>

namespace quanta::node {
namespace {

TEST(MetricsTest, RendersCountersAndGaugesWithLabels) {
  MetricsRegistry registry;
  auto& requests =
      registry.AddCounter("quanta_http_requests_total", "Requests answered", {"route", "code"});
  requests.WithLabels({"/healthz", "200"}).Increment();
  requests.WithLabels({"/healthz", "200"}).Increment(2);
  requests.WithLabels({"/v1/node", "404"}).Increment();
  registry.AddGauge("quanta_http_connections_open", "Open connections").WithLabels({}).Set(3);
  std::string text = registry.Render();
  EXPECT_NE(text.find("# HELP quanta_http_requests_total Requests answered\n"
                      "# TYPE quanta_http_requests_total counter\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("quanta_http_requests_total{route=\"/healthz\",code=\"200\"} 3\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("quanta_http_requests_total{route=\"/v1/node\",code=\"404\"} 1\n"),
            std::string::npos);
  EXPECT_NE(
      text.find("# TYPE quanta_http_connections_open gauge\nquanta_http_connections_open 3\n"),
      std::string::npos)
      << text;
}

TEST(MetricsTest, ReplacingGaugesDropsTheSeriesOfWhatIsGone) {
  MetricsRegistry registry;
  auto& rows = registry.AddGauge("quanta_dataset_rows", "Rows", {"product", "major"});
  rows.ReplaceAll({{{"shop/orders", "1"}, 5}, {{"shop/orders", "2"}, 7}});
  std::string text = registry.Render();
  EXPECT_NE(text.find("quanta_dataset_rows{product=\"shop/orders\",major=\"1\"} 5\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("quanta_dataset_rows{product=\"shop/orders\",major=\"2\"} 7\n"),
            std::string::npos);
  rows.ReplaceAll({{{"shop/orders", "2"}, 8}});  // major 1 retired
  text = registry.Render();
  EXPECT_EQ(text.find("major=\"1\""), std::string::npos) << text;
  EXPECT_NE(text.find("quanta_dataset_rows{product=\"shop/orders\",major=\"2\"} 8\n"),
            std::string::npos);
}

TEST(MetricsTest, CountersNeverGoDown) {
  Counter counter;
  counter.Increment(5);
  counter.Increment(-2);
  EXPECT_EQ(counter.value(), 5);
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
  MetricsRegistry registry;
  auto& latency = registry.AddHistogram("quanta_test_seconds", "Latency", {"route"}, {0.25, 1});
  Histogram& histogram = latency.WithLabels({"/x"});
  histogram.Observe(0.125);
  histogram.Observe(0.25);  // on the bound: counts in le="0.25"
  histogram.Observe(0.5);
  histogram.Observe(30);
  std::string text = registry.Render();
  EXPECT_NE(text.find("quanta_test_seconds_bucket{route=\"/x\",le=\"0.25\"} 2\n"
                      "quanta_test_seconds_bucket{route=\"/x\",le=\"1\"} 3\n"
                      "quanta_test_seconds_bucket{route=\"/x\",le=\"+Inf\"} 4\n"
                      "quanta_test_seconds_sum{route=\"/x\"} 30.875\n"
                      "quanta_test_seconds_count{route=\"/x\"} 4\n"),
            std::string::npos)
      << text;
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  MetricsRegistry registry;
  registry.AddCounter("quanta_odd_total", "Odd \\ help\nline", {"path"})
      .WithLabels({"a\"b\\c\nd"})
      .Increment();
  std::string text = registry.Render();
  EXPECT_NE(text.find("quanta_odd_total{path=\"a\\\"b\\\\c\\nd\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("# HELP quanta_odd_total Odd \\\\ help\\nline\n"), std::string::npos) << text;
}

TEST(MetricsTest, RegisteringTheSameFamilyTwiceGivesTheSameSeries) {
  MetricsRegistry registry;
  registry.AddCounter("quanta_events_total", "Events", {"product"}).WithLabels({"a"}).Increment();
  registry.AddCounter("quanta_events_total", "Events", {"product"}).WithLabels({"a"}).Increment();
  EXPECT_EQ(
      registry.AddCounter("quanta_events_total", "Events", {"product"}).WithLabels({"a"}).value(),
      2);
}

TEST(MetricsTest, UnlabelledFamiliesShowZeroFromTheStart) {
  MetricsRegistry registry;
  registry.AddCounter("quanta_started_total", "Starts");
  EXPECT_NE(registry.Render().find("quanta_started_total 0\n"), std::string::npos);
}

TEST(MetricsTest, ConcurrentUpdatesAreAllCounted) {
  MetricsRegistry registry;
  auto& family = registry.AddCounter("quanta_hits_total", "Hits", {"worker"});
  auto& histogram =
      registry.AddHistogram("quanta_hit_seconds", "Hit time", {}, {0.5}).WithLabels({});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        family.WithLabels({"same"}).Increment();
        histogram.Observe(0.25);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(family.WithLabels({"same"}).value(), 40000);
  EXPECT_EQ(histogram.snapshot().count, 40000u);
}

TEST(MetricsTest, NameRules) {
  EXPECT_TRUE(IsValidMetricName("quanta_http_requests_total"));
  EXPECT_TRUE(IsValidMetricName("a:b"));
  EXPECT_FALSE(IsValidMetricName("1abc"));
  EXPECT_FALSE(IsValidMetricName("a-b"));
  EXPECT_TRUE(IsValidLabelName("route"));
  EXPECT_FALSE(IsValidLabelName("__name"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
}

}  // namespace
}  // namespace quanta::node
