#include "cli/commands.h"

int main(int argc, char** argv) { return quanta::cli::RunCli(argc, argv); }
