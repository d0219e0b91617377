"""A `quanta node` started as a user starts it, for the SQL port's tests: a node.yaml in a work
folder, free loopback ports (port 0), and the addresses the node prints once it listens."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time


class RunningNode:
    """Starts `quanta node --config WORK/node.yaml` with `config` as node.yaml's text; waits
    until it prints its HTTP and SQL addresses (url, sql_port). stop() ends it with SIGTERM."""

    def __init__(self, quanta, work, config):
        self.quanta = quanta
        self.work = work
        self.config = os.path.join(work, "node.yaml")
        with open(self.config, "w") as out:
            out.write(config)
        self.log = open(os.path.join(work, "node.log"), "w+")
        self.process = subprocess.Popen([quanta, "node", "--config", self.config],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        self.url = self.sql_port = None
        while time.time() < deadline and not (self.url and self.sql_port):
            time.sleep(0.1)
            self.log.seek(0)
            text = self.log.read()
            match = re.search(r"listening on (http://\S+)", text)
            self.url = match.group(1) if match else None
            match = re.search(r"serving SQL on postgresql://127\.0\.0\.1:(\d+)", text)
            self.sql_port = int(match.group(1)) if match else None
            if self.process.poll() is not None:
                break
        if not (self.url and self.sql_port):
            self.process.kill()
            self.log.seek(0)
            raise RuntimeError("the node did not start:\n" + self.log.read())

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def print_log_tail(self, lines=30):
        """Prints the node's last log lines: for a test that failed, to say what the node saw."""
        self.log.seek(0)
        print("node log (last lines):")
        print(textwrap.indent("\n".join(self.log.read().splitlines()[-lines:]), "  "))


def run_with_node(doc, prefix, make_node, checks, run):
    """The main() of a test against one node: reads the quanta binary from the command line (or
    prints `doc`), makes a work folder named `prefix`..., starts make_node(quanta, work), calls
    run(node, work), then stops the node (printing its log's tail when a check failed), removes
    the folder and prints the tally of `checks`. Returns the exit code."""
    if len(sys.argv) != 2:
        print(doc)
        return 2
    quanta = os.path.abspath(sys.argv[1])
    sys.path.insert(0, "/usr/lib/python3/dist-packages")
    work = tempfile.mkdtemp(prefix=prefix)
    node = make_node(quanta, work)
    try:
        run(node, work)
    finally:
        node.stop()
        if checks.failed:
            node.print_log_tail()
        shutil.rmtree(work, ignore_errors=True)
    print(checks.summary())
    return 1 if checks.failed else 0
