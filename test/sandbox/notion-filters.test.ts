/**
 * The Notion sandbox's query filter table: for every property type, each condition Notion
 * accepts is accepted and tests a page's value as Notion does, and any other condition is
 * refused with Notion's error body listing the accepted ones in Notion's order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VendorError } from '../../sandbox/http';
import { createNotionSandbox, NOTION_VERSION } from '../../sandbox/notion';
import { FILTER_CONDITIONS, compileFilter } from '../../sandbox/notion/filters';
import type { NotionPropertyType, PageRecord, PropertySchema, StoredValue } from '../../sandbox/notion/model';
import { loadExampleConfig } from '../helpers/config';
import { serveVendor } from '../helpers/sandbox';

/** Wednesday; its week (Sunday to Saturday) runs from 2026-05-03 to 2026-05-09. */
const TODAY = '2026-05-06';
const ANA = '6f1c2a8e-1b2c-4d3e-8f40-5a6b7c8d9e01';
const BEN = '6f1c2a8e-1b2c-4d3e-8f40-5a6b7c8d9e02';

const TEXT = ['equals', 'does_not_equal', 'contains', 'does_not_contain', 'starts_with', 'ends_with'];
const EMPTINESS = ['is_empty', 'is_not_empty'];
const LIST = ['contains', 'does_not_contain', ...EMPTINESS];

describe('the condition table', () => {
  it('lists, for every property type, the conditions Notion accepts in the order its errors name them', () => {
    expect(FILTER_CONDITIONS).toEqual({
      title: [...TEXT, ...EMPTINESS],
      rich_text: [...TEXT, ...EMPTINESS],
      url: [...TEXT, ...EMPTINESS],
      email: [...TEXT, ...EMPTINESS],
      phone_number: [...TEXT, ...EMPTINESS],
      number: [
        'equals',
        'does_not_equal',
        'greater_than',
        'less_than',
        'greater_than_or_equal_to',
        'less_than_or_equal_to',
        ...EMPTINESS,
      ],
      checkbox: ['equals', 'does_not_equal'],
      select: ['equals', 'does_not_equal', ...EMPTINESS],
      status: ['equals', 'does_not_equal', ...EMPTINESS],
      multi_select: LIST,
      people: LIST,
      relation: LIST,
      date: [
        'equals',
        'before',
        'after',
        'on_or_before',
        'on_or_after',
        ...EMPTINESS,
        'past_week',
        'past_month',
        'past_year',
        'this_week',
        'next_week',
        'next_month',
        'next_year',
      ],
    });
  });
});

// ---- every condition of every type, on sample values -------------------------------------------

/** Sample values of one property by name; `empty` is a page without a value for it. */
type Samples = Record<string, StoredValue | undefined>;
/** Per condition: the operand, and the samples whose page it should match. */
type Cases = Record<string, [operand: unknown, matches: string[]]>;

const richText = (type: 'title' | 'rich_text', text: string): StoredValue => ({
  type,
  [type]: [{ type: 'text', text: { content: text, link: null }, plain_text: text }],
});
const plain = (type: 'url' | 'email' | 'phone_number', text: string): StoredValue => ({ type, [type]: text });
const option = (type: 'select' | 'status', name: string): StoredValue => ({
  type,
  [type]: { id: name.slice(0, 4), name, color: 'default' },
});
const dated = (start: string): StoredValue => ({ type: 'date', date: { start, end: null, time_zone: null } });

const textCases = (full: string, prefix: string, suffix: string): Cases => ({
  equals: [full, ['full']],
  does_not_equal: [full, ['other', 'empty']],
  contains: [prefix.toUpperCase(), ['full']],
  does_not_contain: [prefix, ['other', 'empty']],
  starts_with: [prefix, ['full']],
  ends_with: [suffix, ['full']],
  is_empty: [true, ['empty']],
  is_not_empty: [true, ['full', 'other']],
});

const TYPES: Record<NotionPropertyType, { samples: Samples; cases: Cases }> = {
  title: {
    samples: { full: richText('title', 'Launch plan'), other: richText('title', 'Retro'), empty: undefined },
    cases: textCases('Launch plan', 'launch', 'PLAN'),
  },
  rich_text: {
    samples: {
      full: richText('rich_text', 'release:REL-1:bundle'),
      other: richText('rich_text', 'leave:ana'),
      empty: undefined,
    },
    cases: textCases('release:REL-1:bundle', 'release:', ':bundle'),
  },
  url: {
    samples: {
      full: plain('url', 'https://docs.example/rel-1'),
      other: plain('url', 'https://else.example'),
      empty: undefined,
    },
    cases: textCases('https://docs.example/rel-1', 'https://docs', '/rel-1'),
  },
  email: {
    samples: {
      full: plain('email', 'ana@northwind.example'),
      other: plain('email', 'ben@x.example'),
      empty: undefined,
    },
    cases: textCases('ana@northwind.example', 'ana@', 'northwind.example'),
  },
  phone_number: {
    samples: {
      full: plain('phone_number', '+44 20 7946 0000'),
      other: plain('phone_number', '555'),
      empty: undefined,
    },
    cases: textCases('+44 20 7946 0000', '+44', '0000'),
  },
  number: {
    samples: {
      five: { type: 'number', number: 5 },
      minus: { type: 'number', number: -1.5 },
      empty: undefined,
    },
    cases: {
      equals: [5, ['five']],
      // An empty number is "not equal" to anything, and passes no comparison.
      does_not_equal: [5, ['minus', 'empty']],
      greater_than: [0, ['five']],
      less_than: [0, ['minus']],
      greater_than_or_equal_to: [5, ['five']],
      less_than_or_equal_to: [-1.5, ['minus']],
      is_empty: [true, ['empty']],
      is_not_empty: [true, ['five', 'minus']],
    },
  },
  checkbox: {
    samples: { ticked: { type: 'checkbox', checkbox: true }, empty: undefined },
    cases: { equals: [true, ['ticked']], does_not_equal: [true, ['empty']] },
  },
  select: {
    samples: { tier2: option('select', 'Tier 2'), tier3: option('select', 'Tier 3'), empty: undefined },
    cases: {
      equals: [['Tier 2', 'Tier 1'], ['tier2']],
      does_not_equal: ['Tier 2', ['tier3', 'empty']],
      is_empty: [true, ['empty']],
      is_not_empty: [true, ['tier2', 'tier3']],
    },
  },
  status: {
    samples: { draft: option('status', 'Draft'), published: option('status', 'Published'), empty: undefined },
    cases: {
      equals: ['Published', ['published']],
      does_not_equal: [
        ['Draft', 'In review'],
        ['published', 'empty'],
      ],
      is_empty: [true, ['empty']],
      is_not_empty: [true, ['draft', 'published']],
    },
  },
  multi_select: {
    samples: {
      both: {
        type: 'multi_select',
        multi_select: [option('select', 'web').select, option('select', 'ios').select],
      },
      web: { type: 'multi_select', multi_select: [option('select', 'web').select] },
      empty: undefined,
    },
    cases: {
      contains: ['ios', ['both']],
      does_not_contain: ['ios', ['web', 'empty']],
      is_empty: [true, ['empty']],
      is_not_empty: [true, ['both', 'web']],
    },
  },
  people: {
    samples: {
      ana: { type: 'people', people: [{ object: 'user', id: ANA }] },
      both: {
        type: 'people',
        people: [
          { object: 'user', id: ANA },
          { object: 'user', id: BEN },
        ],
      },
      empty: undefined,
    },
    cases: {
      // Ids are compared in their dashed form, however the filter writes them.
      contains: [BEN.replace(/-/g, '').toUpperCase(), ['both']],
      does_not_contain: [BEN, ['ana', 'empty']],
      is_empty: [true, ['empty']],
      is_not_empty: [true, ['ana', 'both']],
    },
  },
  relation: {
    samples: {
      linked: { type: 'relation', relation: [{ id: ANA }], has_more: false },
      empty: undefined,
    },
    cases: {
      contains: [ANA.replace(/-/g, ''), ['linked']],
      does_not_contain: [BEN, ['linked', 'empty']],
      is_empty: [true, ['empty']],
      is_not_empty: [true, ['linked']],
    },
  },
  date: {
    samples: {
      lastMonth: dated('2026-04-20'),
      yesterday: dated('2026-05-05T09:30:00Z'),
      friday: dated('2026-05-08'),
      nextYear: dated('2027-03-01'),
      empty: undefined,
    },
    cases: {
      equals: ['2026-05-05', ['yesterday']],
      before: ['today', ['lastMonth', 'yesterday']],
      after: ['2026-05-08', ['nextYear']],
      on_or_before: ['yesterday', ['lastMonth', 'yesterday']],
      on_or_after: ['one_week_from_now', ['nextYear']],
      is_empty: [true, ['empty']],
      is_not_empty: [true, ['lastMonth', 'yesterday', 'friday', 'nextYear']],
      past_week: [{}, ['yesterday']],
      past_month: [{}, ['lastMonth', 'yesterday']],
      past_year: [{}, ['lastMonth', 'yesterday']],
      this_week: [{}, ['yesterday', 'friday']],
      next_week: [{}, ['friday']],
      next_month: [{}, ['friday']],
      next_year: [{}, ['friday', 'nextYear']],
    },
  },
};

const schema: PropertySchema[] = (Object.keys(TYPES) as NotionPropertyType[]).map((type) => ({
  id: type === 'title' ? 'title' : `p-${type}`,
  name: `The ${type}`,
  type,
}));
const propertyOf = (type: NotionPropertyType) => schema.find((p) => p.type === type)!;

function pageWith(property: PropertySchema, value: StoredValue | undefined): PageRecord {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    parent: { type: 'data_source_id', data_source_id: 'ds', database_id: 'db' },
    properties: value === undefined ? {} : { [property.name]: value },
    icon: null,
    createdTime: '2026-05-01T10:00:00.000Z',
    lastEditedTime: '2026-05-06T11:00:00.000Z',
    inTrash: false,
    createdBy: ANA,
    lastEditedBy: ANA,
  };
}

/** The error compiling a filter throws, or undefined when it compiles. */
function refusal(filter: unknown): unknown {
  try {
    compileFilter(filter, schema, TODAY);
    return undefined;
  } catch (error) {
    return error;
  }
}

describe.each(Object.keys(TYPES) as NotionPropertyType[])('a %s property', (type) => {
  const property = propertyOf(type);
  const { samples, cases } = TYPES[type];

  it('has a case for every condition of the table', () => {
    expect(Object.keys(cases)).toEqual(FILTER_CONDITIONS[type]);
  });

  it.each(FILTER_CONDITIONS[type])('accepts %s and tests the value as Notion does', (condition) => {
    const [operand, expected] = cases[condition]!;
    const matches = compileFilter(
      { property: property.name, [type]: { [condition]: operand } },
      schema,
      TODAY,
    );
    const passing = Object.entries(samples)
      .filter(([, value]) => matches(pageWith(property, value)))
      .map(([name]) => name);
    expect(passing).toEqual(expected);
  });

  it('refuses a condition Notion does not offer, with Notion’s error body naming those it does', () => {
    const error = refusal({ property: property.id, [type]: { sounds_like: 'x' } });
    expect(error).toBeInstanceOf(VendorError);
    expect((error as VendorError).status).toBe(400);
    expect((error as VendorError).body).toEqual({
      object: 'error',
      status: 400,
      code: 'validation_error',
      message: `body failed validation: body.filter.${type} should have exactly one of ${FILTER_CONDITIONS[type].join(', ')}, instead had \`["sounds_like"]\`.`,
      request_id: expect.any(String) as unknown,
    });
  });

  it('refuses a condition of another property type, and two conditions at once', () => {
    const other = type === 'checkbox' ? 'number' : 'checkbox';
    expect(
      (refusal({ property: property.name, [type]: { equals: 1, does_not_equal: 1 } }) as VendorError).body,
    ).toMatchObject({
      code: 'validation_error',
      message: expect.stringMatching(/should have exactly one of/) as unknown,
    });
    expect(
      (refusal({ property: property.name, [other]: { equals: true } }) as VendorError).body,
    ).toMatchObject({
      code: 'validation_error',
      message: `database property ${type} does not match filter ${other}`,
    });
  });
});

describe('operands', () => {
  it.each([
    ['title', 'contains', 5, 'body.filter.title.contains should be a string, instead was `5`.'],
    ['number', 'greater_than', '5', 'body.filter.number.greater_than should be a number, instead was `"5"`.'],
    ['checkbox', 'equals', 'yes', 'body.filter.checkbox.equals should be a boolean, instead was `"yes"`.'],
    [
      'select',
      'equals',
      [1],
      'body.filter.select.equals should be a string or an array of strings, instead was `[1]`.',
    ],
    ['people', 'contains', 'ana', 'body.filter.people.contains should be a valid uuid, instead was `"ana"`.'],
    [
      'multi_select',
      'is_empty',
      false,
      'body.filter.multi_select.is_empty should be `true`, instead was `false`.',
    ],
    [
      'date',
      'after',
      'someday',
      'body.filter.date.after should be a valid ISO 8601 date string or relative date, instead was `"someday"`.',
    ],
    ['date', 'past_week', { days: 7 }, 'body.filter.date.past_week should be an empty object.'],
  ] as const)('refuses a %s %s operand of the wrong kind', (type, condition, operand, message) => {
    const error = refusal({
      property: propertyOf(type).name,
      [type]: { [condition]: operand },
    }) as VendorError;
    expect(error.body).toMatchObject({
      status: 400,
      code: 'validation_error',
      message: `body failed validation: ${message}`,
    });
  });

  it('uses the date conditions for timestamp filters', () => {
    const page = pageWith(propertyOf('title'), undefined);
    const created = (condition: Record<string, unknown>) =>
      compileFilter({ timestamp: 'created_time', created_time: condition }, schema, TODAY)(page);
    expect(created({ past_week: {} })).toBe(true);
    expect(created({ after: '2026-05-02' })).toBe(false);
    expect(
      (refusal({ timestamp: 'last_edited_time', last_edited_time: { contains: 'x' } }) as VendorError).body,
    ).toMatchObject({
      message: expect.stringMatching(/last_edited_time should have exactly one of equals, before/) as unknown,
    });
  });
});

describe('over HTTP', () => {
  const config = loadExampleConfig();
  const BUNDLES = config.integrations.notion.dataSources.enablementBundles!;
  let served: Awaited<ReturnType<typeof serveVendor<ReturnType<typeof createNotionSandbox>>>>;
  beforeAll(async () => {
    served = await serveVendor(createNotionSandbox(config, { now: () => Date.parse(`${TODAY}T12:00:00Z`) }));
  });
  afterAll(async () => served.close());

  const query = async (filter: unknown) => {
    const response = await fetch(`${served.url}/v1/data_sources/${BUNDLES}/query`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer ntn_filters',
        'notion-version': NOTION_VERSION,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ filter }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('answers an unsupported condition with 400 and Notion’s error body', async () => {
    const reply = await query({ property: 'Status', status: { contains: 'Draft' } });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({
      object: 'error',
      status: 400,
      code: 'validation_error',
      message:
        'body failed validation: body.filter.status should have exactly one of equals, does_not_equal, is_empty, is_not_empty, instead had `["contains"]`.',
      request_id: expect.any(String) as unknown,
    });
  });

  it('accepts every condition of each seeded property type', async () => {
    const types: [string, NotionPropertyType][] = [
      ['Name', 'title'],
      ['Release', 'rich_text'],
      ['Tier', 'select'],
      ['Status', 'status'],
      ['Due', 'date'],
    ];
    for (const [name, type] of types) {
      for (const condition of FILTER_CONDITIONS[type]) {
        const [operand] = TYPES[type].cases[condition]!;
        const reply = await query({ property: name, [type]: { [condition]: operand } });
        expect({ name, condition, status: reply.status }).toEqual({ name, condition, status: 200 });
      }
    }
  });
});
