/** A Jira issue key as a page's Release property names it. */
export const RELEASE_KEY = /^[A-Z][A-Z0-9_]{0,49}-[1-9]\d{0,9}$/;
