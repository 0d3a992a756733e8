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

  it('shows each contact’s state, its last outcome, the call’s details and Exotel’s words, formula cells neutralised', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(4, '97'));
    const ids = (await store.Contact.find({ campaign_id: campaign._id }).sort({ _id: 1 }).lean()).map((c) => c._id);
    const started = new Date('2026-03-02T04:49:00Z');
    const ended = new Date('2026-03-02T04:50:00Z');
    await store.Contact.updateOne({ _id: ids[0] }, {
      $set: { call_status: 'completed', last_outcome: 'completed', tries: 1, attempts: 1, call_sid: 'sid-1', call_started_at: started, call_ended_at: ended, call_duration: 60, name: '=HYPERLINK("x")' },
    });
    // Waiting for a retry: still pending, its last outcome shown.
    await store.Contact.updateOne({ _id: ids[1] }, { $set: { last_outcome: 'busy', tries: 1, attempts: 1, call_sid: 'sid-2', call_error: '-busy tone' } });
    await store.Contact.updateOne({ _id: ids[2] }, { $set: { call_status: 'skipped', skip_reason: 'dnc', call_error: 'On the do-not-call list; not called.' } });
    await store.Contact.updateOne({ _id: ids[3] }, { $set: { call_status: 'failed', last_outcome: 'failed', tries: 2, attempts: 1, call_error: 'The number is barred' } });
    const file = await exportContacts(store, campaign._id);
    const rows = (parse(await readFile(file.path), { bom: true }) as string[][]).slice(1);
    const phones = phoneNumbers(4, '97');
    expect(rows).toEqual([
      [phones[0], `'=HYPERLINK("x")`, '', 'completed', '1', 'sid-1', 'completed', started.toISOString(), ended.toISOString(), '60', ''],
      [phones[1], 'Contact 1', '', 'pending', '1', 'sid-2', 'busy', '', '', '', "'-busy tone"],
      [phones[2], 'Contact 2', '', 'skipped (dnc)', '0', '', '', '', '', '', 'On the do-not-call list; not called.'],
      [phones[3], 'Contact 3', '', 'failed', '1', '', 'failed', '', '', '', 'The number is barred'],
    ]);
    await file.remove();
  });

  it('an empty campaign gives the header only', async () => {
    const campaign = await seedCampaign(store, []);
    const file = await exportContacts(store, campaign._id);
    expect(file.rows).toBe(0);
    expect(parse(await readFile(file.path), { bom: true })).toEqual([[...EXPORT_COLUMNS]]);
    await file.remove();
  });
});
