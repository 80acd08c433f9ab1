/**
 * The Notion stand-in's records (data sources, pages, blocks, users), the value shapes it
 * stores, and the limits Notion enforces.
 */
export const NOTION_VERSION = '2025-09-03';
/** A bearer token with this value (or this value and a dash before anything) is refused, so tests can provoke a 401. */
export const INVALID_NOTION_TOKEN = 'invalid';

export const MAX_TEXT_CONTENT = 2000;
export const MAX_EQUATION = 1000;
/** Items in one array of a request (rich text, options, people, children, sorts) and rows per page. */
export const MAX_ARRAY = 100;
export const MAX_URL = 2000;
export const MAX_EMAIL = 200;
export const MAX_PHONE = 200;
export const MAX_BLOCKS_PER_REQUEST = 1000;
export const MAX_BODY_BYTES = 500 * 1000;
export const MAX_OPTION_NAME = 100;

export type NotionPropertyType =
  | 'title'
  | 'rich_text'
  | 'number'
  | 'select'
  | 'multi_select'
  | 'status'
  | 'date'
  | 'people'
  | 'checkbox'
  | 'url'
  | 'email'
  | 'phone_number'
  | 'relation';

export const OPTION_COLORS = [
  'default',
  'gray',
  'brown',
  'orange',
  'yellow',
  'green',
  'blue',
  'purple',
  'pink',
  'red',
] as const;
/** Colours rich text and blocks may take: the option colours and their backgrounds. */
export const API_COLORS = new Set<string>([
  ...OPTION_COLORS,
  ...OPTION_COLORS.filter((c) => c !== 'default').map((c) => `${c}_background`),
  'default_background',
]);

export interface SelectOption {
  id: string;
  name: string;
  color: string;
  description: string | null;
}

export interface StatusGroup {
  id: string;
  name: 'To-do' | 'In progress' | 'Complete';
  color: string;
  option_ids: string[];
}

export interface PropertySchema {
  id: string;
  name: string;
  type: NotionPropertyType;
  options?: SelectOption[];
  groups?: StatusGroup[];
  numberFormat?: string;
  /** For relation properties: the data source whose pages may be linked. */
  relatedDataSourceId?: string;
}

export interface DataSourceRecord {
  id: string;
  databaseId: string;
  /** The config name it was seeded for, for example `releaseLog`. */
  kind: string;
  title: string;
  properties: PropertySchema[];
  createdTime: string;
  lastEditedTime: string;
}

export type PageParent =
  | { type: 'data_source_id'; data_source_id: string; database_id: string }
  | { type: 'page_id'; page_id: string };

/** A property value exactly as Notion returns it, minus the property id. */
export type StoredValue = { type: NotionPropertyType } & Record<string, unknown>;

export interface PageRecord {
  id: string;
  parent: PageParent;
  properties: Record<string, StoredValue>;
  icon: unknown;
  createdTime: string;
  lastEditedTime: string;
  inTrash: boolean;
  createdBy: string;
  lastEditedBy: string;
}

export interface BlockRecord {
  id: string;
  parent: { type: 'page_id'; page_id: string } | { type: 'block_id'; block_id: string };
  type: string;
  /** The type-specific object as Notion returns it (rich text already in response form). */
  content: Record<string, unknown>;
  createdTime: string;
  lastEditedTime: string;
  inTrash: boolean;
}

export interface NotionUser {
  object: 'user';
  id: string;
  name: string;
  avatar_url: null;
  type: 'person' | 'bot';
  person?: { email: string };
  bot?: { owner: { type: 'workspace'; workspace: true }; workspace_name: string };
}

/** Values a person could type into a page in the Notion app, by property type. */
export type SimplePropertyInput =
  string | number | boolean | null | string[] | { start: string; end?: string | null };

export interface NotionSandboxOptions {
  /** The clock, for relative date filters and timestamps; defaults to the system clock. */
  now?: () => number;
  /**
   * List users without their email addresses (default false), as Notion does for an
   * integration without the "Read user information including email addresses" capability.
   */
  withholdEmails?: boolean;
}

/** Page objects show at most this many people or related pages per property; the rest is read through the property endpoint. */
export const MAX_PAGE_REFERENCES = 25;

/** What checking a request needs to know of the workspace: who its users are and which pages exist. */
export interface Workspace {
  findUser(id: string | undefined): NotionUser | undefined;
  findPage(id: string | undefined): PageRecord | undefined;
}

/** The schema of a page that is not a data source row: its title only. */
export const PAGE_SCHEMA: readonly PropertySchema[] = [{ id: 'title', name: 'title', type: 'title' }];
