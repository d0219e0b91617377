echo "cli tests: none yet"
