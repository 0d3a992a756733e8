// exportContacts against the real database: every contact, in order, through csv-stringify into a file, with who
// answered, the key pressed and its meaning, when a waiting retry is due, then the campaign's own CSV columns;
// formula cells neutralised; the file and its folder removed on request.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXPORT_COLUMNS, exportContacts, neutralize } from '../../src/campaigns/contacts-export.js';
import type { CampaignFields } from '../../src/store/campaign-model.js';
import type { Store } from '../../src/store/store.js';
import { testStore } from '../helpers/database.js';
import { phoneNumbers, seedCampaign } from '../helpers/engine-fixtures.js';

let store: Store;

async function campaignOf(id: CampaignFields['_id']): Promise<CampaignFields> {
  return (await store.Campaign.findById(id).lean()) as CampaignFields;
}

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
    const file = await exportContacts(store, campaign);
    expect(file.rows).toBe(1_234);
    const raw = await readFile(file.path);
    expect(file.bytes).toBe(raw.length);
    const rows = parse(raw, { bom: true }) as string[][];
    expect(rows[0]).toEqual([...EXPORT_COLUMNS]);
    expect(rows.slice(1).map((r) => r[0])).toEqual(phones);
    expect(rows[1]).toEqual([phones[0], 'Contact 0', '', 'pending', '0', '', '', '', '', '', '', '', '', '', '']);
    await file.remove();
    expect(existsSync(dirname(file.path))).toBe(false);
  });

  it('the standard columns, in order: who answered and the key after the outcome, the next retry before the error', () => {
    expect(EXPORT_COLUMNS).toEqual([
      'number',
      'name',
      'description',
      'call_status',
      'attempts',
      'call_sid',
      'outcome',
      'answered_by',
      'key_pressed',
      'key_meaning',
      'started_at',
      'ended_at',
      'duration_seconds',
      'next_attempt_at',
      'error',
    ]);
  });

  it('shows each contact’s state, outcome, who answered, key and meaning, next retry, Exotel’s words and its columns, formula cells neutralised', async () => {
    const campaign = await seedCampaign(store, phoneNumbers(5, '97'), {
      keys: { '1': 'paid', '9': '=do not call' },
      columns: ['amount', 'due_date'],
    });
    const ids = (await store.Contact.find({ campaign_id: campaign._id }).sort({ _id: 1 }).lean()).map((c) => c._id);
    const started = new Date('2026-03-02T04:49:00Z');
    const ended = new Date('2026-03-02T04:50:00Z');
    const retryAt = new Date('2026-03-02T05:20:00Z');
    await store.Contact.updateOne(
      { _id: ids[0] },
      {
        $set: {
          call_status: 'completed',
          last_outcome: 'completed',
          tries: 1,
          attempts: 1,
          call_sid: 'sid-1',
          call_started_at: started,
          call_ended_at: ended,
          call_duration: 60,
          name: '=HYPERLINK("x")',
          answered_by: 'human',
          digits: '1',
          fields: { amount: '1200', due_date: '5 Mar' },
        },
      },
    );
    // Waiting for a retry: pending in the database, "retrying" in the export, with its last outcome and when it is due.
    await store.Contact.updateOne(
      { _id: ids[1] },
      {
        $set: {
          last_outcome: 'busy',
          tries: 1,
          attempts: 1,
          call_sid: 'sid-2',
          call_error: '-busy tone',
          next_attempt_at: retryAt,
          fields: { amount: '+500' },
        },
      },
    );
    await store.Contact.updateOne(
      { _id: ids[2] },
      { $set: { call_status: 'skipped', skip_reason: 'dnc', call_error: 'On the do-not-call list; not called.' } },
    );
    // A key without a meaning; a key whose meaning would be a formula.
    await store.Contact.updateOne(
      { _id: ids[3] },
      { $set: { call_status: 'failed', last_outcome: 'failed', tries: 2, attempts: 1, call_error: 'The number is barred', digits: '7' } },
    );
    await store.Contact.updateOne(
      { _id: ids[4] },
      {
        $set: {
          call_status: 'completed',
          last_outcome: 'completed',
          tries: 1,
          attempts: 1,
          answered_by: 'machine',
          digits: '9',
          fields: { due_date: '@x', other: 'not a column of the campaign' },
        },
      },
    );
    const file = await exportContacts(store, await campaignOf(campaign._id));
    const [header, ...rows] = parse(await readFile(file.path), { bom: true }) as string[][];
    expect(header).toEqual([...EXPORT_COLUMNS, 'amount', 'due_date']);
    const phones = phoneNumbers(5, '97');
    expect(rows).toEqual([
      [
        phones[0],
        `'=HYPERLINK("x")`,
        '',
        'completed',
        '1',
        'sid-1',
        'completed',
        'human',
        '1',
        'paid',
        started.toISOString(),
        ended.toISOString(),
        '60',
        '',
        '',
        '1200',
        '5 Mar',
      ],
      [
        phones[1],
        'Contact 1',
        '',
        'retrying',
        '1',
        'sid-2',
        'busy',
        '',
        '',
        '',
        '',
        '',
        '',
        retryAt.toISOString(),
        "'-busy tone",
        "'+500",
        '',
      ],
      [
        phones[2],
        'Contact 2',
        '',
        'skipped (dnc)',
        '0',
        '',
        '',
        '',
        '',
        '',
        '',
        '',
        '',
        '',
        'On the do-not-call list; not called.',
        '',
        '',
      ],
      [phones[3], 'Contact 3', '', 'failed', '1', '', 'failed', '', '7', '', '', '', '', '', 'The number is barred', '', ''],
      [phones[4], 'Contact 4', '', 'completed', '1', '', 'completed', 'machine', '9', "'=do not call", '', '', '', '', '', '', "'@x"],
    ]);
    await file.remove();
  });

  it('an empty campaign gives the header only', async () => {
    const campaign = await seedCampaign(store, [], { columns: ['loan_id'] });
    const file = await exportContacts(store, campaign);
    expect(file.rows).toBe(0);
    expect(parse(await readFile(file.path), { bom: true })).toEqual([[...EXPORT_COLUMNS, 'loan_id']]);
    await file.remove();
  });
});
