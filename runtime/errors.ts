/**
 * A setting of the deployment is missing or unusable: no configuration file where one was looked
 * for, half an mTLS pair, a certificate path that cannot be read. The operator fixes the file or
 * the environment and runs again; commands report it in one line with exit code 2, as they do
 * bad input on the command line.
 */
export class SettingsError extends Error {}

/** No configuration file where one was looked for; the message says how to create one. */
export class MissingConfigError extends SettingsError {}
