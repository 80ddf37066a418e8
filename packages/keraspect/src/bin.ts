#!/usr/bin/env node
// The `keraspect` command of the umbrella package: the CLI's compiled entry point.
import '@keraspect/cli/main';
