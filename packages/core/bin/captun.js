#!/usr/bin/env node
// Exists before the first build so package managers can link the `captun` bin; the CLI itself is compiled to dist/cli/.
import "../dist/cli/index.js";
