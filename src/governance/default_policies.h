#pragma once

#include <string_view>

#include "governance/policy.h"

namespace quanta::governance {

/// The file name the built-in policies are reported under, e.g.
/// "<built-in>/owner-required.sql".
inline constexpr std::string_view kBuiltInPolicyFolder = "<built-in>";

/// The default policy set compiled into the binary, the governance every mesh needs
/// (docs/policies.md describes each):
///   owner-required            blocking  a product, or a contract on its own, names an owner
///   semantic-version          blocking  product and contract versions are MAJOR.MINOR.PATCH
///   personal-data-classified  blocking  properties that look personal have a non-public class
///   property-described        warning   every property has a description
///   sla-declared              warning   each output port's contract declares latency, retention
/// Returns a fresh copy each call; never fails (its errors list is empty unless the built-in
/// text itself is broken, which a unit test rules out).
PolicySet DefaultPolicies();

}  // namespace quanta::governance
