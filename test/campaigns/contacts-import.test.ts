// importContacts against the real database: header detection, delimiters, encodings, quoted fields, every kind of
// bad row with its row number and reason, duplicates, the do-not-call list, whole-file refusals, concurrent imports.
import { describe, expect, it, beforeAll } from 'vitest';
import type { Types } from 'mongoose';
import { ImportError, importContacts, type ImportReport } from '../../src/campaigns/contacts-import.js';
import type { Store } from '../../src/store/store.js';
import { testStore } from '../helpers/database.js';
import { phoneNumbers, seedCampaign } from '../helpers/engine-fixtures.js';
import { dncId } from '../../src/store/dnc-model.js';
import { expectViewTrue, viewOf } from './state-fixtures.js';

let store: Store;
beforeAll(async () => {
  store = await testStore('contacts_import');
});

const TEAM = 'T0001';

async function campaign(phones: string[] = []): Promise<Types.ObjectId> {
  return (await seedCampaign(store, phones, { team_id: TEAM }))._id;
}

function target(campaignId: Types.ObjectId) {
  return { campaignId, teamId: TEAM };
}

async function contacts(campaignId: Types.ObjectId) {
  return store.Contact.find({ campaign_id: campaignId }).sort({ phone: 1 }).lean();
}

/** Yields a buffer in pieces of `size` bytes, so decoders see characters split across chunks. */
async function* pieces(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

describe('columns and formats', () => {
  it('finds the number, name and description columns by header in any order and case, with semicolons', async () => {
    const id = await campaign();
    const csv = 'Notes;Customer Name;MOBILE NUMBER\nowes 3 EMIs;Asha;98765 43210\n;Ravi;+91-98111-22233\n';
    const report = await importContacts(store, target(id), csv);
    expect(report).toMatchObject({ rows: 2, imported: 2, duplicates: 0, dnc: 0, invalid: [], header: true, delimiter: ';' });
    const stored = await contacts(id);
    expect(stored.map((c) => [c.phone, c.name, c.description, c.call_status])).toEqual([
      ['919811122233', 'Ravi', '', 'pending'],
      ['919876543210', 'Asha', 'owes 3 EMIs', 'pending'],
    ]);
  });

  it('reads a headerless tab-separated list as number, name, description, normalising every form of number', async () => {
    const id = await campaign();
    const csv = ['09876543210\tA\tfirst', '+919876543211\tB', '0091 98765 43212', '(+91) 98765-43213\tD\tfourth', '919876543214'].join(
      '\n',
    );
    const report = await importContacts(store, target(id), csv);
    expect(report).toMatchObject({ rows: 5, imported: 5, header: false, delimiter: '\t', invalid: [] });
    expect((await contacts(id)).map((c) => [c.phone, c.name, c.description])).toEqual([
      ['919876543210', 'A', 'first'],
      ['919876543211', 'B', ''],
      ['919876543212', '', ''],
      ['919876543213', 'D', 'fourth'],
      ['919876543214', '', ''],
    ]);
  });

  it('keeps quoted fields with commas and line breaks, and CRLF and CR line ends', async () => {
    const id = await campaign();
    const crlf = 'phone,name,description\r\n"9876543220","Rao, K.","line one\r\nline two"\r\n9876543221,"He said ""hi""",x\r\n';
    expect(await importContacts(store, target(id), crlf)).toMatchObject({ rows: 2, imported: 2, invalid: [] });
    const cr = await campaign();
    expect(await importContacts(store, target(cr), 'number\r9876543222\r9876543223\r')).toMatchObject({
      rows: 2,
      imported: 2,
      header: true,
    });
    const stored = await contacts(id);
    expect(stored.map((c) => [c.name, c.description])).toEqual([
      ['Rao, K.', 'line one\nline two'],
      ['He said "hi"', 'x'],
    ]);
  });

  it('decodes UTF-8 with a BOM and UTF-16 LE and BE with a BOM, even when chunks split characters', async () => {
    const text = 'number,name\n9876543230,Zoë\n9876543231,राम\n';
    const utf8 = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const be = Buffer.from(le);
    be.swap16();
    for (const [buf, size] of [
      [utf8, 3],
      [le, 1],
      [be, 5],
    ] as const) {
      const id = await campaign();
      const report = await importContacts(store, target(id), pieces(buf, size));
      expect(report).toMatchObject({ rows: 2, imported: 2, header: true, invalid: [] });
      expect((await contacts(id)).map((c) => c.name)).toEqual(['Zoë', 'राम']);
    }
  });

  it('skips blank and all-empty rows without counting them, and keeps file line numbers', async () => {
    const id = await campaign();
    const report = await importContacts(store, target(id), '\n\nnumber,name\n\n,,\n9876543240,a\n\n12345,b\n');
    expect(report.rows).toBe(2);
    expect(report.imported).toBe(1);
    expect(report.invalid).toEqual([{ row: 8, value: '12345', reason: expect.stringContaining('too short') }]);
  });

  it('stores more rows than one batch', async () => {
    const id = await campaign();
    const phones = phoneNumbers(2_345, '97');
    const report = await importContacts(store, target(id), `number\n${phones.join('\n')}\n`);
    expect(report).toMatchObject({ rows: 2_345, imported: 2_345, duplicates: 0 });
    expect(await store.Contact.countDocuments({ campaign_id: id })).toBe(2_345);
    expect(await viewOf(store, id)).toMatchObject({ counts: { pending: 2_345 }, total: 2_345 });
    expect((await store.Campaign.findById(id).lean())?.contacts_seq).toBe(2_345);
    // Keep the collection small for the tests after this one (the test server scans rather than uses indexes).
    await store.Contact.deleteMany({ campaign_id: id });
  });
});

describe('extra columns', () => {
  it('keeps every other named column per contact under its key, and lists the keys in the report and on the campaign', async () => {
    const id = await campaign();
    const csv = [
      'Phone,Name,Amount,Due Date,loan-id,Notes',
      '9876543400,Asha,1200,2026-04-05,L-1,owes',
      '9876543401,Ravi,,2026-04-06,L-2,',
    ].join('\n');
    const report = await importContacts(store, target(id), csv);
    expect(report).toMatchObject({ rows: 2, imported: 2, header: true, columns: ['amount', 'due_date', 'loan_id'] });
    expect((await contacts(id)).map((c) => [c.description, c.fields])).toEqual([
      ['owes', { amount: '1200', due_date: '2026-04-05', loan_id: 'L-1' }],
      // An empty cell is left out rather than stored empty.
      ['', { due_date: '2026-04-06', loan_id: 'L-2' }],
    ]);
    expect((await store.Campaign.findById(id).lean())?.columns).toEqual(['amount', 'due_date', 'loan_id']);
    // A second list with a new column adds it once.
    await importContacts(store, target(id), 'mobile,amount,branch\n9876543402,99,Pune\n');
    expect((await store.Campaign.findById(id).lean())?.columns).toEqual(['amount', 'due_date', 'loan_id', 'branch']);
  });

  it('drops columns whose key does not start with a letter, keeps at most 20, and cuts long values', async () => {
    const id = await campaign();
    const names = Array.from({ length: 25 }, (_, i) => `c${i}`);
    const header = ['number', '2nd phone', '', '***', ...names].join(',');
    const row = ['9876543410', '9876543411', 'x', 'y', 'z'.repeat(600), ...names.slice(1).map((n) => `v-${n}`)].join(',');
    const report = await importContacts(store, target(id), `${header}\n${row}\n`);
    expect(report.columns).toEqual(names.slice(0, 20));
    const [stored] = await contacts(id);
    expect(Object.keys(stored!.fields)).toEqual(names.slice(0, 20));
    expect(stored!.fields.c0).toHaveLength(500);
    expect(stored!.fields.c0!.endsWith('…')).toBe(true);
    expect(stored!.fields.c19).toBe('v-c19');
  });

  it('a headerless list has no extra columns', async () => {
    const id = await campaign();
    const report = await importContacts(store, target(id), '9876543420,A,first,extra,more\n');
    expect(report).toMatchObject({ header: false, columns: [], imported: 1 });
    expect((await contacts(id))[0]).toMatchObject({ name: 'A', description: 'first', fields: {} });
    expect((await store.Campaign.findById(id).lean())?.columns).toEqual([]);
  });
});

describe('bad rows', () => {
  it('names every kind of bad row with its line number and reason, and imports the good rows around them', async () => {
    const id = await campaign();
    const long = `9876543260,${'x'.repeat(70 * 1024)}`;
    const lines = [
      'number,name', // 1
      '9876543250,good one', // 2
      ',no number', // 3
      '98765abcde,letters', // 4
      '98765,short', // 5
      '98765432101234,long', // 6
      '+44 7911 123456,uk', // 7
      '080 2345 6789,landline', // 8
      '"9876543251,unbalanced', // 9
      long, // 10
      '9876543252,good two', // 11
      '9876543253,"good, three"', // 12
    ];
    const report = await importContacts(store, target(id), lines.join('\n'));
    expect(report.imported).toBe(3);
    expect(report.rows).toBe(11);
    expect(report.invalid.map((r) => r.row)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    const reasons = Object.fromEntries(report.invalid.map((r) => [r.row, r.reason]));
    expect(reasons[3]).toBe('No number in this row.');
    expect(reasons[4]).toContain('letters');
    expect(reasons[5]).toContain('too short');
    expect(reasons[6]).toContain('too long');
    expect(reasons[7]).toContain('not an Indian number (its country code is +44)');
    expect(reasons[8]).toContain('landline');
    expect(reasons[9]).toBe('This row cannot be read: a quote (") is not closed.');
    expect(reasons[10]).toBe('This row is longer than 64 KB.');
    expect(report.invalid.find((r) => r.row === 4)?.value).toBe('98765abcde');
    expect(report.invalid.find((r) => r.row === 10)!.value.length).toBeLessThanOrEqual(60);
    expect((await contacts(id)).map((c) => c.phone)).toEqual(['919876543250', '919876543252', '919876543253']);
  });

  it('an unbalanced quote costs only its own row, also when later rows hold quotes', async () => {
    const id = await campaign();
    const csv = ['number,name', '9876543270,"broken', '9876543271,fine', '9876543272,"quoted"', 'x"', '9876543273,ok'].join('\n');
    const report = await importContacts(store, target(id), csv);
    // Line 5 closes the quote opened on line 2, so 2..5 read as one record whose name spans lines: valid CSV.
    // What matters: nothing is silently half-read, and every row is either imported or reported.
    const imported = (await contacts(id)).map((c) => c.phone);
    expect(imported).toContain('919876543273');
    expect(report.rows).toBe(report.imported + report.duplicates + report.dnc + report.invalid.length);
  });
});

describe('duplicates and the do-not-call list', () => {
  it('counts numbers repeated in the file and numbers the campaign already has as duplicates', async () => {
    const id = await campaign(['919876543280']);
    const csv = '9876543280\n9876543281\n+91 98765 43281\n09876543282\n';
    expect(await importContacts(store, target(id), csv)).toMatchObject({ rows: 4, imported: 2, duplicates: 2 });
    // The same file again: everything is a duplicate.
    expect(await importContacts(store, target(id), csv)).toMatchObject({ rows: 4, imported: 0, duplicates: 4 });
    expect(await store.Contact.countDocuments({ campaign_id: id })).toBe(3);
  });

  it('imports numbers on the workspace do-not-call list as skipped, and counts them', async () => {
    const id = await campaign();
    await store.Dnc.create({ _id: dncId(TEAM, '919876543290'), team_id: TEAM, phone: '919876543290', added_by: 'U0ADMIN' });
    await store.Dnc.create({ _id: dncId('T0OTHER', '919876543291'), team_id: 'T0OTHER', phone: '919876543291', added_by: 'U0ADMIN' });
    const report = await importContacts(store, target(id), '9876543290\n9876543291\n9876543292\n');
    expect(report).toMatchObject({ imported: 2, dnc: 1 });
    const byPhone = Object.fromEntries((await contacts(id)).map((c) => [c.phone, [c.call_status, c.skip_reason]]));
    expect(byPhone).toEqual({
      '919876543290': ['skipped', 'dnc'],
      '919876543291': ['pending', null],
      '919876543292': ['pending', null],
    });
    expect(await viewOf(store, id)).toMatchObject({ counts: { pending: 2, skipped: 1 }, total: 3 });
    await expectViewTrue(store, id);
  });

  it('two imports of overlapping lists at once store each number once and count every row once', async () => {
    const id = await campaign();
    // Each list is more than one batch; the overlap makes both imports' bulk inserts collide.
    const a = phoneNumbers(1_200, '96');
    const b = a.slice(400).concat(phoneNumbers(400, '95'));
    const [ra, rb] = await Promise.all([importContacts(store, target(id), a.join('\n')), importContacts(store, target(id), b.join('\n'))]);
    expect(await store.Contact.countDocuments({ campaign_id: id })).toBe(1_600);
    expect(ra.imported + rb.imported).toBe(1_600);
    expect(ra.duplicates + rb.duplicates).toBe(800);
    expect(await viewOf(store, id)).toMatchObject({ counts: { pending: 1_600 }, total: 1_600 });
    await expectViewTrue(store, id);
    await store.Contact.deleteMany({ campaign_id: id });
  }, 60_000);
});

describe('whole-file refusals', () => {
  async function refused(source: Parameters<typeof importContacts>[2], options?: { maxBytes?: number }): Promise<string> {
    const id = await campaign();
    const error = await importContacts(store, target(id), source, options).then(
      (r: ImportReport) => r,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ImportError);
    expect(await store.Contact.countDocuments({ campaign_id: id })).toBe(0);
    return (error as ImportError).message;
  }

  it('binary data, a file over the limit, and a header without a number column each get a sentence', async () => {
    expect(await refused(pieces(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x08, 0x00]), 8))).toContain('does not look like text');
    expect(await refused(pieces(Buffer.from('9876543210\n'.repeat(200)), 64), { maxBytes: 1_000 })).toContain('larger than');
    expect(await refused('Name,Notes\nAsha,x\n')).toContain('header without a number column');
  });
});

describe('delimiter', () => {
  it('is decided by the first line that has one, so a one-column first row does not hide it', async () => {
    const id = await campaign();
    const report = await importContacts(store, target(id), '9876543300\n9876543301;Ravi;late\n9876543302;Meena\n');
    expect(report).toMatchObject({ rows: 3, imported: 3, invalid: [], delimiter: ';' });
    expect((await contacts(id)).map((c) => c.name)).toEqual(['', 'Ravi', 'Meena']);
  });
});
