// Types for eslint.size.js (plain JavaScript, loaded by eslint.config.js), for test/function-length.test.ts.
import type { Linter } from 'eslint';

export declare const MAX_FUNCTION_LINES: number;
/** The globs the rule applies to. */
export declare const SIZED_FILES: string[];
declare const config: Linter.Config[];
export default config;
