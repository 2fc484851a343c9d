// Types for eslint.layers.js (plain JavaScript, loaded by eslint.config.js), for test/layers.test.ts.
import type { Linter } from 'eslint';

/** The layers of gateway/src, lowest first; each entry names the folders of one layer. */
export declare const LAYERS: string[][];
declare const config: Linter.Config[];
export default config;
