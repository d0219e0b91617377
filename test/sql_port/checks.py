"""The SQL port tests' report: one line per check, 'ok' or 'FAIL' with what was seen, and the
tally for the closing 'N passed, N failed' line."""

import textwrap


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, condition, detail=""):
        if condition:
            self.passed += 1
            print(f"ok   {name}")
        else:
            self.failed += 1
            print(f"FAIL {name}")
            if detail:
                print(textwrap.indent(str(detail)[:2000], "     "))

    def summary(self):
        return f"{self.passed} passed, {self.failed} failed"
