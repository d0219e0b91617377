#include "node/slo_status.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "testing/matchers.h"

namespace quanta::node {
namespace {

using std::chrono::seconds;

const std::filesystem::path kExamples = std::filesystem::path(QUANTA_SOURCE_DIR) / "examples";

// orders/orders promises on its `orders` port: latency 300 s, retention 7 y, frequency 60 s.
model::ProductFolder Orders() {
  std::vector<Diagnostic> diagnostics;
  Result<model::ProductFolder> folder =
      model::LoadProductFolder(kExamples / "orders/orders", &diagnostics);
  EXPECT_OK(folder);
  return folder.ok() ? std::move(folder).value() : model::ProductFolder{};
}

const store::Timestamp kNow = std::chrono::time_point_cast<std::chrono::microseconds>(
    std::chrono::sys_days{std::chrono::year{2026} / 12 / 1});

store::StoreStatus OrdersChangedAt(std::optional<store::Timestamp> at) {
  store::StoreStatus status;
  store::DatasetStatus orders;
  orders.name = "orders";
  orders.latest_commit_at = at;
  status.datasets.push_back(orders);
  return status;
}

const SloState* Find(const std::vector<SloState>& states, std::string_view property) {
  for (const SloState& state : states) {
    if (state.property == property) return &state;
  }
  return nullptr;
}

TEST(SloStatusTest, LatencyAndFrequencyOfEachPortAreEvaluatedAndRetentionIsNot) {
  store::StoreStatus status = OrdersChangedAt(kNow - seconds(10));
  std::vector<SloState> states =
      EvaluateSlos(Orders(), {.worst_commit_seconds = 0.25, .store = &status, .now = kNow});
  ASSERT_EQ(states.size(), 2u);
  const SloState* latency = Find(states, "latency");
  ASSERT_NE(latency, nullptr);
  EXPECT_EQ(latency->port, "orders");
  EXPECT_DOUBLE_EQ(latency->target_seconds, 300);
  EXPECT_EQ(latency->observed_seconds, 0.25);
  EXPECT_EQ(latency->verdict, SloVerdict::kMet);
  const SloState* frequency = Find(states, "frequency");
  ASSERT_NE(frequency, nullptr);
  EXPECT_DOUBLE_EQ(frequency->target_seconds, 60);
  EXPECT_EQ(frequency->observed_seconds, 10);
  EXPECT_EQ(frequency->verdict, SloVerdict::kMet);
  EXPECT_EQ(Find(states, "retention"), nullptr);
}

TEST(SloStatusTest, DataThatStoppedComingViolatesTheFrequency) {
  store::StoreStatus status = OrdersChangedAt(kNow - seconds(61));
  std::vector<SloState> states =
      EvaluateSlos(Orders(), {.worst_commit_seconds = 0.25, .store = &status, .now = kNow});
  const SloState* frequency = Find(states, "frequency");
  ASSERT_NE(frequency, nullptr);
  EXPECT_EQ(frequency->observed_seconds, 61);
  EXPECT_EQ(frequency->verdict, SloVerdict::kViolated);
  EXPECT_EQ(SloVerdictName(frequency->verdict), "violated");
}

TEST(SloStatusTest, ACommitSlowerThanTheLatencyViolatesIt) {
  store::StoreStatus status = OrdersChangedAt(kNow);
  std::vector<SloState> states =
      EvaluateSlos(Orders(), {.worst_commit_seconds = 300.5, .store = &status, .now = kNow});
  const SloState* latency = Find(states, "latency");
  ASSERT_NE(latency, nullptr);
  EXPECT_EQ(latency->verdict, SloVerdict::kViolated);
}

TEST(SloStatusTest, NothingObservedYetIsNoDataRatherThanMet) {
  store::StoreStatus status = OrdersChangedAt(std::nullopt);
  std::vector<SloState> states = EvaluateSlos(Orders(), {.store = &status, .now = kNow});
  ASSERT_EQ(states.size(), 2u);
  for (const SloState& state : states) {
    EXPECT_EQ(state.verdict, SloVerdict::kNoData) << state.property;
    EXPECT_EQ(state.observed_seconds, std::nullopt) << state.property;
    EXPECT_EQ(SloVerdictName(state.verdict), "no data");
  }
}

TEST(SloStatusTest, OnlyTheDatasetsOfThePortCountForItsFrequency) {
  // A dataset the pipeline does not write to the port changed a second ago; the port's own
  // dataset two minutes ago.
  store::StoreStatus status = OrdersChangedAt(kNow - seconds(120));
  store::DatasetStatus other;
  other.name = "something_else";
  other.latest_commit_at = kNow - seconds(1);
  status.datasets.push_back(other);
  std::vector<SloState> states = EvaluateSlos(Orders(), {.store = &status, .now = kNow});
  const SloState* frequency = Find(states, "frequency");
  ASSERT_NE(frequency, nullptr);
  EXPECT_EQ(frequency->observed_seconds, 120);
  EXPECT_EQ(frequency->verdict, SloVerdict::kViolated);
}

}  // namespace
}  // namespace quanta::node
