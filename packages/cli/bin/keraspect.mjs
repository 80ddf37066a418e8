#!/usr/bin/env node
// The `keraspect` command: the CLI's sources are TypeScript, run through tsx's loader (no build step).
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
