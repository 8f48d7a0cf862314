//! The PostgreSQL backend (synchronous client; the server wraps calls in
//! `spawn_blocking`).

use crate::{Backend, Conn, Store, StoreError, Tx, Value};
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
        let client = Client::connect(url, NoTls).map_err(|e| connect_error(url, e))?;
        Ok(PgStore {
            client,
            target: redact(url),
            statements: HashMap::new(),
        })
    }
}

/// A failed connection, naming the server tried and why: the server's own
/// message (a wrong password, a database or role that does not exist) or
/// the system's (nothing listening, no such host, no socket).
fn connect_error(url: &str, e: postgres::Error) -> StoreError {
    let servers = url
        .parse::<postgres::Config>()
        .map(|c| servers(&c))
        .unwrap_or_default();
    let mut cause = e.source();
    let mut io = None;
    while let Some(c) = cause {
        io = io.or(c.downcast_ref::<std::io::Error>());
        cause = c.source();
    }
    let why = match io {
        Some(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => {
                "connection refused (no server listens there)".to_string()
            }
            std::io::ErrorKind::NotFound if servers.contains('/') => {
                "no server socket there (is the server running, and `host` its socket directory?)"
                    .to_string()
            }
            std::io::ErrorKind::TimedOut => "timed out".to_string(),
            _ => io.to_string(),
        },
        None => match StoreError::from(e) {
            StoreError::Postgres(why) => why,
            other => return other,
        },
    };
    StoreError::Postgres(if servers.is_empty() {
        format!("cannot connect: {why}")
    } else {
        format!("cannot connect to the server at {servers}: {why}")
    })
}

/// The servers a configuration names, as `host:port` or, for a Unix
/// socket, its path.
fn servers(c: &postgres::Config) -> String {
    use postgres::config::Host;
    let ports = c.get_ports();
    c.get_hosts()
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
            match h {
                Host::Tcp(h) => format!("{h}:{port}"),
                Host::Unix(dir) => format!("{}/.s.PGSQL.{port}", dir.display()),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The URL without its password (in the user information or a
/// `password=` parameter), for messages.
pub fn redact(url: &str) -> String {
    let mut out = match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    };
    if let Some((base, query)) = out.split_once('?') {
        let query: Vec<String> = query
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => p.to_string(),
            })
            .collect();
        out = format!("{base}?{}", query.join("&"));
    }
    out
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
}

impl Tx for PgTx<'_> {
    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        Ok(self.tx.commit()?)
    }
}

#[cfg(test)]
mod tests {
    use super::{PgStore, redact};

    /// Issue 19: a failed connection says where and why.
    #[test]
    fn a_refused_connection_says_so() {
        // A port of this machine that nothing listens on: one just freed.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let Err(e) = PgStore::connect(&format!("postgres://equitas@127.0.0.1:{port}/equitas"))
        else {
            panic!("connected to 127.0.0.1:{port}");
        };
        assert_eq!(
            e.to_string(),
            format!(
                "PostgreSQL: cannot connect to the server at 127.0.0.1:{port}: connection refused (no server listens there)"
            )
        );
        let Err(e) = PgStore::connect("postgresql:///db?host=/nonexistent-dir&port=5999&user=u")
        else {
            panic!("connected to a socket that is not there");
        };
        assert!(
            e.to_string().contains(
                "cannot connect to the server at /nonexistent-dir/.s.PGSQL.5999: no server socket there"
            ),
            "{e}"
        );
    }

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(
            redact("postgres://u:secret@host/db"),
            "postgres://u:***@host/db"
        );
        assert_eq!(redact("postgres://u@host/db"), "postgres://u@host/db");
        assert_eq!(
            redact("postgresql://u:pw@/db?host=/run&password=secret&port=5"),
            "postgresql://u:***@/db?host=/run&password=***&port=5"
        );
    }
}
