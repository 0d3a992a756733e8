// exportContacts against the real database: every contact, in order, through csv-stringify into a file; formula
// cells neutralised; the file and its folder removed on request.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXPORT_COLUMNS, exportContacts, neutralize } from '../../src/campaigns/contacts-export.js';
import type { Store } from '../../src/store/store.js';
import { testStore } from '../helpers/database.js';
import { phoneNumbers, seedCampaign } from '../helpers/engine-fixtures.js';

let store: Store;
beforeAll(async () => {
  store = await testStore('contacts_export');
});

describe('neutralize', () => {
  it('prefixes cells a spreadsheet would evaluate, and only those', () => {
    expect(['=1+2', '+91', '-5', '@SUM(A1)', '\tx', '\rx'].map(neutralize)).toEqual(["'=1+2", "'+91", "'-5", "'@SUM(A1)", "'\tx", "'\rx"]);
    expect(['919876543210', 'Asha', '', 'a=b', ' =1', "'x"].map(neutralize)).toEqual(['919876543210', 'Asha', '', 'a=b', ' =1', "'x"]);
  });
});

describe('exportContacts', () => {
  it('writes every contact of the campaign (more than one cursor batch) in insertion order, then removes the file', async () => {
    const phones = phoneNumbers(1_234, '99');
    const campaign = await seedCampaign(store, phones);
    await seedCampaign(store, phoneNumbers(3, '98')); // another campaign's contacts stay out
    const file = await exportContacts(store, campaign._id);
    expect(file.rows).toBe(1_234);
    const raw = await readFile(file.path);
    expect(file.bytes).toBe(raw.length);
    const rows = parse(raw, { bom: true }) as string[][];
    expect(rows[0]).toEqual([...EXPORT_COLUMNS]);
    expect(rows.slice(1).map((r) => r[0])).toEqual(phones);
    expect(rows[1]).toEqual([phones[0], 'Contact 0', '', 'pending', '0', '', '', '', '', '', '']);
    await file.remove();
    expect(existsSync(dirname(file.path))).toBe(false);
  });

  it('an empty campaign gives the header only', async () => {
    const campaign = await seedCampaign(store, []);
    const file = await exportContacts(store, campaign._id);
    expect(file.rows).toBe(0);
    expect(parse(await readFile(file.path), { bom: true })).toEqual([[...EXPORT_COLUMNS]]);
    await file.remove();
  });
});
