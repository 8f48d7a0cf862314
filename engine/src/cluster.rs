//! A Ballista scheduler and executors started in this process, through the
//! ballista-scheduler and ballista-executor library APIs (what their own
//! binaries call): `equitas-engine scheduler` and `equitas-engine executor`,
//! and the cluster tests on loopback.

use crate::EngineError;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::start_server;
use datafusion::execution::FunctionRegistry;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Runs a scheduler listening on `host:port` until the process ends.
pub async fn run_scheduler(host: &str, port: u16) -> Result<(), EngineError> {
    let addr: SocketAddr = format!("{host}:{port}")
        .parse()
        .map_err(|e| EngineError::Invalid(format!("scheduler address {host}:{port}: {e}")))?;
    // The scheduler plans queries that call the forecast and concentration
    // functions.
    let sessions: ballista_scheduler::SessionBuilder = Arc::new(|config| {
        let mut state = ballista_core::utils::default_session_builder(config)?;
        state.register_udf(Arc::new(crate::forecast::udf()))?;
        state.register_udf(Arc::new(crate::market::udf()))?;
        Ok(state)
    });
    let config = SchedulerConfig {
        bind_host: host.to_string(),
        bind_port: port,
        external_host: host.to_string(),
        override_session_builder: Some(sessions),
        ..SchedulerConfig::default()
    };
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .map_err(|e| EngineError::Invalid(format!("scheduler on {addr}: {e}")))?;
    start_server(cluster, addr, Arc::new(config))
        .await
        .map_err(|e| EngineError::Invalid(format!("scheduler on {addr}: {e}")))
}

/// What an executor needs.
#[derive(Debug, Clone)]
pub struct Executor {
    /// Address it listens on (loopback by default).
    pub host: String,
    /// Its Arrow Flight port (results and shuffles).
    pub port: u16,
    /// Its gRPC port.
    pub grpc_port: u16,
    pub scheduler_host: String,
    pub scheduler_port: u16,
    /// Tasks it runs at once.
    pub vcores: usize,
    /// Where it keeps shuffle files (a fresh temporary directory if none).
    pub work_dir: Option<String>,
    /// Bytes of memory its tasks may hold together before they spill
    /// (Ballista's fair spill pool, shared by its `vcores` tasks); `None`:
    /// Ballista's default, 70% of the machine's memory (one executor per
    /// machine).
    pub memory: Option<u64>,
}

/// Runs an executor until the process ends (or the scheduler stops it).
pub async fn run_executor(e: &Executor) -> Result<(), EngineError> {
    let config = ExecutorProcessConfig {
        bind_host: e.host.clone(),
        external_host: Some(e.host.clone()),
        port: e.port,
        grpc_port: e.grpc_port,
        scheduler_host: e.scheduler_host.clone(),
        scheduler_port: e.scheduler_port,
        scheduler_connect_timeout_seconds: 30,
        vcores: e.vcores.max(1),
        work_dir: e.work_dir.clone(),
        memory_pool_size: e.memory,
        override_function_registry: Some(Arc::new(functions())),
        ..ExecutorProcessConfig::default()
    };
    start_executor_process(Arc::new(config))
        .await
        .map_err(|err| EngineError::Invalid(format!("executor on {}:{}: {err}", e.host, e.port)))
}

/// The functions an executor can run: DataFusion's and Ballista's, and
/// the forecast and concentration functions.
fn functions() -> ballista_core::registry::BallistaFunctionRegistry {
    let mut r = ballista_core::registry::BallistaFunctionRegistry::default();
    for f in [crate::forecast::udf(), crate::market::udf()] {
        r.scalar_functions.insert(f.name().to_string(), Arc::new(f));
    }
    r
}

/// Waits until something listens on `host:port` (at most `wait`).
pub async fn wait_for(host: &str, port: u16, wait: Duration) -> Result<(), EngineError> {
    let start = std::time::Instant::now();
    loop {
        if tokio::net::TcpStream::connect((host, port)).await.is_ok() {
            return Ok(());
        }
        if start.elapsed() > wait {
            return Err(EngineError::Invalid(format!(
                "nothing listens on {host}:{port} after {wait:?}"
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A scheduler and executors started on loopback by [`start_loopback`]:
/// they run as tasks of the Tokio runtime that started them and stop with
/// it; their shuffle files are removed when this is dropped.
pub struct Loopback {
    /// The scheduler's URL (`df://127.0.0.1:port`).
    pub url: String,
    work: Vec<tempfile::TempDir>,
}

/// Starts a scheduler on `127.0.0.1:port` and `executors` executors of
/// `vcores` tasks each and `memory` bytes each (ports `port + 1 + 2i` and
/// `port + 2 + 2i`) as tasks of the current Tokio runtime, and returns once
/// they listen.
pub async fn start_loopback(
    port: u16,
    executors: u16,
    vcores: usize,
    memory: Option<u64>,
) -> Result<Loopback, EngineError> {
    let host = "127.0.0.1";
    tokio::spawn(async move {
        if let Err(e) = run_scheduler(host, port).await {
            eprintln!("{e}");
        }
    });
    wait_for(host, port, Duration::from_secs(30)).await?;
    let mut work = Vec::new();
    for i in 0..executors {
        let dir = tempfile::Builder::new()
            .prefix("equitas-engine-executor")
            .tempdir()
            .map_err(|source| EngineError::Io {
                path: std::env::temp_dir(),
                source,
            })?;
        let e = Executor {
            host: host.to_string(),
            port: port + 1 + 2 * i,
            grpc_port: port + 2 + 2 * i,
            scheduler_host: host.to_string(),
            scheduler_port: port,
            vcores,
            work_dir: Some(dir.path().display().to_string()),
            memory,
        };
        work.push(dir);
        tokio::spawn(async move {
            if let Err(err) = run_executor(&e).await {
                eprintln!("{err}");
            }
        });
        wait_for(host, port + 1 + 2 * i, Duration::from_secs(30)).await?;
    }
    Ok(Loopback {
        url: format!("df://{host}:{port}"),
        work,
    })
}

impl Loopback {
    /// Each executor's working directory (its shuffle files).
    pub fn work_dirs(&self) -> Vec<&std::path::Path> {
        self.work.iter().map(|d| d.path()).collect()
    }
}
