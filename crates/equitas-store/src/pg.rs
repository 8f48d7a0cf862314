//! The PostgreSQL backend (synchronous client; the server wraps calls in
//! `spawn_blocking`).

use crate::{Backend, Conn, Store, StoreError, Tx, Value};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, GenericClient, NoTls, Statement};
use std::collections::HashMap;
use std::error::Error;

/// A PostgreSQL database reached by URL, e.g.
/// `postgres://equitas@localhost/equitas` or, over a Unix socket,
/// `postgresql:///equitas?host=/run/postgresql&user=equitas`.
pub struct PgStore {
    client: Client,
    target: String,
    statements: HashMap<String, Statement>,
}

impl PgStore {
    pub fn connect(url: &str) -> Result<Self, StoreError> {
        let client = Client::connect(url, NoTls)?;
        Ok(PgStore {
            client,
            target: redact(url),
            statements: HashMap::new(),
        })
    }
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                Type::FLOAT4 => (*i as f32).to_sql(ty, out),
                Type::BOOL => (*i != 0).to_sql(ty, out),
                _ => i.to_string().to_sql(&Type::TEXT, out),
            },
            Value::Real(f) => match *ty {
                Type::FLOAT4 => (*f as f32).to_sql(ty, out),
                Type::FLOAT8 => f.to_sql(ty, out),
                _ => Err(format!("cannot bind a number to a {ty} parameter").into()),
            },
            Value::Text(s) => s.as_str().to_sql(&Type::TEXT, out),
        }
    }
    fn accepts(_: &Type) -> bool {
        true
    }
    to_sql_checked!();
}

fn params(p: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    p.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
}

fn prepare<C: GenericClient>(
    c: &mut C,
    cache: &mut HashMap<String, Statement>,
    sql: &str,
) -> Result<Statement, StoreError> {
    if let Some(s) = cache.get(sql) {
        return Ok(s.clone());
    }
    let s = c.prepare(sql)?;
    cache.insert(sql.to_string(), s.clone());
    Ok(s)
}

fn read_row(r: &postgres::Row) -> Result<Vec<Value>, StoreError> {
    let mut out = Vec::with_capacity(r.len());
    for (i, col) in r.columns().iter().enumerate() {
        let v = match *col.type_() {
            Type::INT8 => r.try_get::<_, Option<i64>>(i)?.map(Value::Int),
            Type::INT4 => r
                .try_get::<_, Option<i32>>(i)?
                .map(|v| Value::Int(v.into())),
            Type::INT2 => r
                .try_get::<_, Option<i16>>(i)?
                .map(|v| Value::Int(v.into())),
            Type::BOOL => r.try_get::<_, Option<bool>>(i)?.map(Value::from),
            Type::FLOAT8 => r.try_get::<_, Option<f64>>(i)?.map(Value::Real),
            Type::FLOAT4 => r
                .try_get::<_, Option<f32>>(i)?
                .map(|v| Value::Real(v.into())),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
                r.try_get::<_, Option<String>>(i)?.map(Value::Text)
            }
            ref other => {
                return Err(StoreError::Type {
                    column: col.name().to_string(),
                    expected: "bigint, double precision, boolean or text (cast it in the query)",
                    found: other.to_string(),
                });
            }
        };
        out.push(v.unwrap_or(Value::Null));
    }
    Ok(out)
}

fn execute<C: GenericClient>(
    c: &mut C,
    cache: &mut HashMap<String, Statement>,
    sql: &str,
    p: &[Value],
) -> Result<u64, StoreError> {
    let st = prepare(c, cache, sql)?;
    Ok(c.execute(&st, &params(p))?)
}

fn query<C: GenericClient>(
    c: &mut C,
    cache: &mut HashMap<String, Statement>,
    sql: &str,
    p: &[Value],
) -> Result<Vec<Vec<Value>>, StoreError> {
    let st = prepare(c, cache, sql)?;
    c.query(&st, &params(p))?.iter().map(read_row).collect()
}

/// [`Conn::copy_in`]: the column types are those of a statement selecting
/// the columns, prepared once (and never run).
fn copy_in<C: GenericClient>(
    c: &mut C,
    cache: &mut HashMap<String, Statement>,
    table: &str,
    columns: &str,
    values: &[Value],
) -> Result<bool, StoreError> {
    let st = prepare(c, cache, &format!("SELECT {columns} FROM {table}"))?;
    let types: Vec<Type> = st.columns().iter().map(|c| c.type_().clone()).collect();
    if types.is_empty() || !values.len().is_multiple_of(types.len()) {
        return Err(StoreError::Invalid(format!(
            "{} values cannot be rows of the {} columns {columns} of {table}",
            values.len(),
            types.len()
        )));
    }
    let sink = c.copy_in(&format!(
        "COPY {table} ({columns}) FROM STDIN (FORMAT binary)"
    ))?;
    let mut w = BinaryCopyInWriter::new(sink, &types);
    for row in values.chunks(types.len()) {
        w.write_raw(row)?;
    }
    w.finish()?;
    Ok(true)
}

impl Conn for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }
    fn execute(&mut self, sql: &str, p: &[Value]) -> Result<u64, StoreError> {
        execute(&mut self.client, &mut self.statements, sql, p)
    }
    fn query(&mut self, sql: &str, p: &[Value]) -> Result<Vec<Vec<Value>>, StoreError> {
        query(&mut self.client, &mut self.statements, sql, p)
    }
    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        Ok(self.client.batch_execute(sql)?)
    }
    fn copy_in(
        &mut self,
        table: &str,
        columns: &str,
        values: &[Value],
    ) -> Result<bool, StoreError> {
        copy_in(
            &mut self.client,
            &mut self.statements,
            table,
            columns,
            values,
        )
    }
}

impl Store for PgStore {
    fn describe(&self) -> String {
        format!("PostgreSQL database {}", self.target)
    }
    fn begin(&mut self) -> Result<Box<dyn Tx + '_>, StoreError> {
        let mut tx = self.client.transaction()?;
        // A lock held by another writer is waited for as long as on SQLite.
        tx.execute(
            "SELECT set_config('lock_timeout', $1, true)",
            // (lock_timeout takes at most 2^31 - 1 ms.)
            &[&format!(
                "{}ms",
                crate::write_wait().as_millis().min(i32::MAX as u128)
            )],
        )?;
        Ok(Box::new(PgTx {
            tx,
            statements: &mut self.statements,
        }))
    }
}

struct PgTx<'a> {
    tx: postgres::Transaction<'a>,
    statements: &'a mut HashMap<String, Statement>,
}

impl Conn for PgTx<'_> {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }
    fn execute(&mut self, sql: &str, p: &[Value]) -> Result<u64, StoreError> {
        execute(&mut self.tx, self.statements, sql, p)
    }
    fn query(&mut self, sql: &str, p: &[Value]) -> Result<Vec<Vec<Value>>, StoreError> {
        query(&mut self.tx, self.statements, sql, p)
    }
    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        Ok(self.tx.batch_execute(sql)?)
    }
    fn copy_in(
        &mut self,
        table: &str,
        columns: &str,
        values: &[Value],
    ) -> Result<bool, StoreError> {
        copy_in(&mut self.tx, self.statements, table, columns, values)
    }
}

impl Tx for PgTx<'_> {
    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        Ok(self.tx.commit()?)
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(
            redact("postgres://u:secret@host/db"),
            "postgres://u:***@host/db"
        );
        assert_eq!(redact("postgres://u@host/db"), "postgres://u@host/db");
    }
}
