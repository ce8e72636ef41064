#!/usr/bin/env node
// The `remotemedia` executable: runs the command line and exits with its code.
import { main } from "./Cli.js"

process.exitCode = await main(process.argv.slice(2))
