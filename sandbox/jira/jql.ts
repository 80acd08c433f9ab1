/**
 * JQL: the subset prodops uses (AND of clauses on project, key, parent, labels, status, issue
 * type, assignee and due date, ORDER BY), parsed with Jira's error messages and refused loudly
 * beyond it rather than guessed at.
 */
import { isRealDate } from '../../domain/config';
import type { StoredIssue } from './model';
import type { JiraStore } from './store';

interface JqlToken {
  kind: 'word' | 'string' | 'op' | 'lparen' | 'rparen' | 'comma';
  text: string;
  /** 1-based character position, as Jira reports it. */
  at: number;
}

type JqlOperator = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in' | 'is empty' | 'is not empty';

interface JqlClause {
  field: string;
  operator: JqlOperator;
  values: string[];
  at: number;
}

interface JqlOrder {
  field: 'created' | 'updated' | 'key' | 'duedate';
  descending: boolean;
}

export interface JqlQuery {
  clauses: JqlClause[];
  order: JqlOrder[];
}

export class JqlError extends Error {}

const jqlAt = (at: number) => `(line 1, character ${at})`;

/** A syntax error at a position, worded as Jira words them. */
const syntaxError = (message: string, at: number) =>
  new JqlError(`Error in the JQL Query: ${message} ${jqlAt(at)}`);

const operatorNotSupported = (operator: string, field: string) =>
  new JqlError(`The operator '${operator}' is not supported by the '${field}' field.`);

const fieldDoesNotExist = (field: string) =>
  new JqlError(`Field '${field}' does not exist or you do not have permission to view it.`);

function tokenizeJql(jql: string): JqlToken[] {
  const tokens: JqlToken[] = [];
  let i = 0;
  while (i < jql.length) {
    const c = jql[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const at = i + 1;
    if (c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: c === '(' ? 'lparen' : c === ')' ? 'rparen' : 'comma', text: c, at });
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      let text = '';
      i++;
      while (i < jql.length && jql[i] !== c) {
        if (jql[i] === '\\' && i + 1 < jql.length) i++;
        text += jql[i];
        i++;
      }
      if (i >= jql.length) throw syntaxError(`The quoted string '${text}' has not been completed.`, at);
      i++;
      tokens.push({ kind: 'string', text, at });
      continue;
    }
    const op = /^(!=|!~|>=|<=|=|~|>|<)/.exec(jql.slice(i));
    if (op) {
      tokens.push({ kind: 'op', text: op[0], at });
      i += op[0].length;
      continue;
    }
    const word = /^[^\s=!~<>(),"']+/.exec(jql.slice(i));
    if (!word) throw syntaxError(`The character '${c}' is a reserved JQL character.`, at);
    tokens.push({ kind: 'word', text: word[0], at });
    i += word[0].length;
  }
  return tokens;
}

const KNOWN_UNSUPPORTED_FIELDS = new Set([
  'summary',
  'description',
  'text',
  'comment',
  'created',
  'createddate',
  'updated',
  'updateddate',
  'priority',
  'resolution',
  'resolved',
  'reporter',
  'creator',
  'sprint',
  'fixversion',
  'affectedversion',
  'component',
  'statuscategory',
  'watcher',
  'voter',
  'filter',
  'attachments',
  'environment',
  'epic link',
  'rank',
]);

const EQUALITY: JqlOperator[] = ['=', '!=', 'in', 'not in'];
const EMPTINESS: JqlOperator[] = ['is empty', 'is not empty'];

const FIELD_OPERATORS: Record<string, JqlOperator[]> = {
  project: EQUALITY,
  key: EQUALITY,
  parent: EQUALITY,
  labels: [...EQUALITY, ...EMPTINESS],
  status: EQUALITY,
  issuetype: EQUALITY,
  assignee: [...EQUALITY, ...EMPTINESS],
  duedate: ['=', '!=', '<', '<=', '>', '>=', ...EMPTINESS],
};

const FIELD_ALIASES: Record<string, string> = {
  issuekey: 'key',
  id: 'key',
  type: 'issuetype',
  due: 'duedate',
};

const RANGE_OPERATORS = new Set(['<', '<=', '>', '>=']);
const ORDER_FIELDS = new Set(['created', 'updated', 'key', 'duedate']);

export function parseJql(jql: string): JqlQuery {
  const tokens = tokenizeJql(jql);
  let position = 0;
  const peek = () => tokens[position];
  const keyword = (token: JqlToken | undefined, word: string) =>
    token?.kind === 'word' && token.text.toLowerCase() === word;
  const endAt = jql.length + 1;
  const unsupported = (what: string, at: number) =>
    syntaxError(`${what} is not supported by the prodops Jira sandbox.`, at);
  const expecting = (what: string, token: JqlToken | undefined) =>
    syntaxError(`Expecting ${what} but got '${token?.text ?? 'end of query'}'.`, token?.at ?? endAt);
  /** The next token when it is a word or a quoted string, else Jira's complaint about it. */
  const take = (what: string): JqlToken => {
    const token = tokens[position++];
    if (!token || (token.kind !== 'word' && token.kind !== 'string')) throw expecting(what, token);
    return token;
  };

  const clauses: JqlClause[] = [];
  const order: JqlOrder[] = [];

  const parseValue = (field: string): string => {
    const token = take('either a value, list or function');
    if (token.kind === 'word' && peek()?.kind === 'lparen')
      throw unsupported(`The function '${token.text}()' in the '${field}' clause`, token.at);
    return token.text;
  };

  const parseClause = () => {
    const fieldToken = take('a field name');
    if (fieldToken.kind === 'word' && ['not', '('].includes(fieldToken.text.toLowerCase()))
      throw unsupported(`'${fieldToken.text}'`, fieldToken.at);
    const raw = fieldToken.text.toLowerCase();
    const field = FIELD_ALIASES[raw] ?? raw;
    if (/^issue\.property\[/.test(raw)) {
      throw unsupported(
        `Searching issue properties ('${fieldToken.text}', which Jira only indexes for apps that declare them)`,
        fieldToken.at,
      );
    }
    const allowed = FIELD_OPERATORS[field];
    if (!allowed) {
      if (KNOWN_UNSUPPORTED_FIELDS.has(raw) || /^(cf\[\d+\]|customfield_\d+)$/.test(raw))
        throw unsupported(`The field '${fieldToken.text}'`, fieldToken.at);
      throw fieldDoesNotExist(fieldToken.text);
    }

    const opToken = tokens[position++];
    let operator: JqlOperator | undefined;
    let values: string[] = [];
    if (opToken?.kind === 'op' && (opToken.text === '=' || opToken.text === '!=')) {
      operator = opToken.text;
      values = [parseValue(fieldToken.text)];
    } else if (
      opToken?.kind === 'op' &&
      RANGE_OPERATORS.has(opToken.text) &&
      allowed.includes(opToken.text as JqlOperator)
    ) {
      operator = opToken.text as JqlOperator;
      values = [parseValue(fieldToken.text)];
    } else if (keyword(opToken, 'in') || (keyword(opToken, 'not') && keyword(peek(), 'in'))) {
      if (keyword(opToken, 'not')) position++;
      operator = keyword(opToken, 'not') ? 'not in' : 'in';
      if (tokens[position++]?.kind !== 'lparen')
        throw syntaxError(`Expecting '(' after '${operator.toUpperCase()}'.`, opToken!.at);
      for (;;) {
        values.push(parseValue(fieldToken.text));
        const next = tokens[position++];
        if (next?.kind === 'rparen') break;
        if (next?.kind !== 'comma') throw expecting("',' or ')'", next);
      }
    } else if (keyword(opToken, 'is')) {
      const negated = keyword(peek(), 'not');
      if (negated) position++;
      const what = tokens[position++];
      if (!keyword(what, 'empty') && !keyword(what, 'null')) throw expecting("'EMPTY' or 'NULL'", what);
      operator = negated ? 'is not empty' : 'is empty';
    } else if (opToken?.kind === 'op') {
      throw operatorNotSupported(opToken.text, fieldToken.text);
    } else {
      throw syntaxError(
        `Expecting operator but got '${opToken?.text ?? 'end of query'}'. The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'.`,
        opToken?.at ?? endAt,
      );
    }
    if (!allowed.includes(operator)) throw operatorNotSupported(operator.toUpperCase(), fieldToken.text);
    clauses.push({ field, operator, values, at: fieldToken.at });
  };

  const parseOrder = () => {
    position++;
    if (!keyword(tokens[position++], 'by'))
      throw syntaxError(`Expecting 'BY' after 'ORDER'.`, tokens[position - 1]?.at ?? endAt);
    for (;;) {
      const token = take('a field name');
      const field = token.text.toLowerCase();
      if (!ORDER_FIELDS.has(field)) throw unsupported(`Ordering by '${token.text}'`, token.at);
      let descending = false;
      if (keyword(peek(), 'asc') || keyword(peek(), 'desc'))
        descending = tokens[position++]!.text.toLowerCase() === 'desc';
      order.push({ field: field as JqlOrder['field'], descending });
      if (peek()?.kind !== 'comma') break;
      position++;
    }
  };

  if (tokens.length > 0 && !keyword(peek(), 'order')) {
    parseClause();
    while (position < tokens.length && !keyword(peek(), 'order')) {
      const joiner = tokens[position]!;
      if (keyword(joiner, 'or')) throw unsupported("'OR'", joiner.at);
      if (!keyword(joiner, 'and')) throw expecting("either 'OR' or 'AND'", joiner);
      position++;
      parseClause();
    }
  }
  if (keyword(peek(), 'order')) parseOrder();
  if (position < tokens.length) throw expecting('end of query', tokens[position]);
  return { clauses, order };
}

type IssueTest = (issue: StoredIssue) => boolean;

/** What a clause's values match, and when the field has a value at all (for negations and emptiness). */
function fieldMatchers(
  store: JiraStore,
  clause: JqlClause,
): { matchers: IssueTest[]; has: IssueTest } | IssueTest {
  const always: IssueTest = () => true;
  /** One matcher per value, each value resolved first; one that names nothing is Jira's 400. */
  const resolved = <T>(
    find: (value: string) => T | undefined,
    test: (issue: StoredIssue, found: T) => boolean,
  ) =>
    clause.values.map((v): IssueTest => {
      const found = find(v);
      if (found === undefined)
        throw new JqlError(`The value '${v}' does not exist for the field '${clause.field}'.`);
      return (issue) => test(issue, found);
    });
  switch (clause.field) {
    case 'project': {
      const named = (v: string) =>
        store.projects.find((p) =>
          [p.key.toLowerCase(), p.id, p.name.toLowerCase()].includes(v.toLowerCase()),
        )?.key;
      return {
        matchers: resolved(named, (issue, key) => issue.projectKey === key),
        has: always,
      };
    }
    case 'key':
    case 'parent':
      return {
        matchers: clause.values.map((v) => {
          const found = store.issue(v);
          if (!found)
            throw new JqlError(`An issue with key '${v}' does not exist for field '${clause.field}'.`);
          return clause.field === 'key'
            ? (issue) => issue.key === found.key
            : (issue) => issue.parentKey === found.key;
        }),
        has: clause.field === 'parent' ? (issue) => issue.parentKey !== null : always,
      };
    case 'labels':
      return {
        matchers: clause.values.map(
          (v) => (issue) => issue.labels.some((l) => l.toLowerCase() === v.toLowerCase()),
        ),
        has: (issue) => issue.labels.length > 0,
      };
    case 'status':
    case 'issuetype': {
      const [choices, idOf]: [readonly { id: string; name: string }[], (issue: StoredIssue) => string] =
        clause.field === 'status'
          ? [store.statuses, (issue) => issue.statusId]
          : [store.issueTypes, (issue) => issue.issueTypeId];
      return {
        matchers: resolved(
          (v) => choices.find((c) => c.name.toLowerCase() === v.toLowerCase() || c.id === v),
          (issue, found) => idOf(issue) === found.id,
        ),
        has: always,
      };
    }
    case 'assignee':
      return {
        matchers: resolved(
          (v) => (store.users.has(v) ? v : undefined),
          (issue, accountId) => issue.assigneeAccountId === accountId,
        ),
        has: (issue) => issue.assigneeAccountId !== null,
      };
    case 'duedate': {
      const bound = clause.values[0] === undefined ? null : jqlDate(clause.values[0], clause.at);
      // Dates compare as YYYY-MM-DD strings; an issue without a due date matches no comparison, as in Jira.
      const compare: Partial<Record<JqlOperator, (due: string, b: string) => boolean>> = {
        '=': (due, b) => due === b,
        '!=': (due, b) => due !== b,
        '<': (due, b) => due < b,
        '<=': (due, b) => due <= b,
        '>': (due, b) => due > b,
        '>=': (due, b) => due >= b,
      };
      const test = compare[clause.operator];
      if (test && bound !== null) return (issue) => issue.duedate !== null && test(issue.duedate, bound);
      return { matchers: [], has: (issue) => issue.duedate !== null };
    }
    default:
      throw fieldDoesNotExist(clause.field);
  }
}

/** Turns a parsed query into a predicate, checking values the way Jira does (unknown status → 400). */
export function compileJql(store: JiraStore, query: JqlQuery): (issue: StoredIssue) => boolean {
  const predicates = query.clauses.map((clause): IssueTest => {
    const field = fieldMatchers(store, clause);
    if (typeof field === 'function') return field;
    const { matchers, has } = field;
    const anyMatch = (issue: StoredIssue) => matchers.some((m) => m(issue));
    switch (clause.operator) {
      case '=':
      case 'in':
        return anyMatch;
      // As in Jira, a negative clause never matches an issue whose field is empty.
      case '!=':
      case 'not in':
        return (issue) => has(issue) && !anyMatch(issue);
      case 'is empty':
        return (issue) => !has(issue);
      case 'is not empty':
        return has;
      default:
        // Only date fields take a range, and they answered above.
        throw operatorNotSupported(clause.operator, clause.field);
    }
  });
  return (issue) => predicates.every((p) => p(issue));
}

/**
 * A JQL date value as Jira reads it for a date-only field: `yyyy-MM-dd` or `yyyy/MM/dd`. Relative
 * periods (`-5d`) and functions are valid in Jira but outside the sandbox's subset, so they are
 * refused rather than guessed at.
 */
function jqlDate(value: string, at: number): string {
  const match = /^(\d{4})[-/](\d{2})[-/](\d{2})$/.exec(value);
  const date = match ? `${match[1]}-${match[2]}-${match[3]}` : undefined;
  if (date !== undefined && isRealDate(date)) return date;
  if (/^[-+]?\d+[wdhm]/.test(value))
    throw syntaxError(`The relative date '${value}' is not supported by the prodops Jira sandbox.`, at);
  throw new JqlError(
    `Date value '${value}' for field 'duedate' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.`,
  );
}

/** Jira's order for a query: the ORDER BY fields, else newest first; the issue id breaks ties. */
export function compareIssues(order: JqlOrder[]): (a: StoredIssue, b: StoredIssue) => number {
  const keyNumber = (issue: StoredIssue) => Number(issue.key.slice(issue.key.lastIndexOf('-') + 1));
  const criteria: JqlOrder[] = order.length > 0 ? order : [{ field: 'created', descending: true }];
  return (a, b) => {
    for (const { field, descending } of criteria) {
      let diff: number;
      if (field === 'key') diff = a.projectKey.localeCompare(b.projectKey) || keyNumber(a) - keyNumber(b);
      else if (field === 'duedate') {
        // Issues without a due date sort last whichever the direction, as in Jira.
        if (a.duedate === b.duedate) diff = 0;
        else if (a.duedate === null) return 1;
        else if (b.duedate === null) return -1;
        else diff = a.duedate.localeCompare(b.duedate);
      } else diff = a[field].localeCompare(b[field]);
      if (diff !== 0) return descending ? -diff : diff;
    }
    const byId = Number(a.id) - Number(b.id);
    return criteria[0]?.descending ? -byId : byId;
  };
}
