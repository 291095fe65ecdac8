#!/usr/bin/env node
// Thin launcher: the CLI lives in the compiled package.
import "../dist/src/cli/index.js";
