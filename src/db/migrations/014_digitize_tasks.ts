import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // A digitization job is split into row ranges that any replica may run (the queue itself is pg-boss on
  // PostgreSQL, in-process on PGlite): what each range is, what it has counted, and whether it is done.
  await knex.schema.createTable('digitize_tasks', (t) => {
    t.text('job_id').notNullable().references('id').inTable('digitize_jobs').onDelete('CASCADE');
    t.integer('first_row').notNullable();
    // Inclusive; a range that stopped early (its time was up, the replica was stopping) is shortened to the
    // rows it finished and the rest becomes a range of its own.
    t.integer('last_row').notNullable();
    // Which slice object of the job holds its rows (several ranges share a slice after a split).
    t.integer('slice').notNullable();
    t.text('state').notNullable(); // pending | done
    // Row number → 'duplicate' | 'conflict': rows that repeat an earlier row's source record, decided by the
    // pass over the whole manifest, since no range sees the others' rows.
    t.jsonb('repeats').notNullable();
    t.jsonb('progress').nullable(); // of the attempt running now
    t.jsonb('counts').nullable(); // when done
    t.integer('attempts').notNullable().defaultTo(0);
    // When the attempt running now began (null: none is). The replica running it holds a session advisory
    // lock on the range for as long as it runs: a range with an attempt but a free lock lost its replica.
    t.timestamp('running_since', { useTz: true }).nullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.primary(['job_id', 'first_row']);
  });
  // The error report's lines, per row, until the job is done and its report is written to the object store.
  await knex.schema.createTable('digitize_task_errors', (t) => {
    t.text('job_id').notNullable().references('id').inTable('digitize_jobs').onDelete('CASCADE');
    t.integer('row_number').notNullable();
    t.integer('seq').notNullable();
    t.text('source_system').nullable();
    t.text('source_record_id').nullable();
    t.text('field').notNullable();
    t.text('code').notNullable();
    t.text('reason').notNullable();
    t.primary(['job_id', 'row_number', 'seq']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('digitize_task_errors');
  await knex.schema.dropTable('digitize_tasks');
}
