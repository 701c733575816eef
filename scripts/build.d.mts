// Types of scripts/build.mjs for the TypeScript that imports it (the tests).
export declare const DIST: string;
export declare const CLI_ENTRY: string;
export declare function isBuildCurrent(): boolean;
export declare function ensureBuild(options?: { force?: boolean; log?: (line: string) => void }): Promise<boolean>;
