#!/usr/bin/env node
// `npx callr-mo`: the operator CLI, run from its TypeScript sources (see bin/cli.ts and docs/cli.md).
'use strict';
require('tsx/cjs');
require('./cli.ts').main();
