declare const __VERSION__: string | undefined;

/** The package version, injected at bundle time. */
export const VERSION: string = typeof __VERSION__ === 'string' ? __VERSION__ : '0.0.0-dev';
