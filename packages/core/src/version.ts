/** The version of this @tributary/core build; a test keeps it equal to package.json. */
export const CORE_VERSION = '0.1.0';
