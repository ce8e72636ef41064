#!/usr/bin/env node
// The installed `remotemedia` command: a committed launcher (so npm links it before the build exists) for the built CLI.
import "../dist/bin.js"
