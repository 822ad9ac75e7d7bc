//! The console's event loop: terminal input, journal records and the clock in; effects out.
//! I/O happens here and in the tasks it starts; `App::update` stays pure.

use super::app::{App, Effect, Msg};
use super::render;
use super::terminal::{self, TerminalGuard};
use super::views::PaneMap;
use crate::clock::SharedClock;
use crate::journal::{JournalWriter, TailEvent};
use crate::respond::ResponseApi;
use crate::respond::lifecycle::{ConfirmRules, Decision, Lifecycle, Policy};
use crate::source::SourceReport;
use crate::state::pivot::Pivot;
use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::task::JoinSet;

/// What the console talks to.
pub struct Services {
    pub clock: SharedClock,
    pub writer: JournalWriter,
    /// Whether the console may add to the journal (not when replaying a closed incident).
    pub journal_writes: bool,
    pub tail: UnboundedReceiver<TailEvent>,
    /// Where responses go; `None` when nothing can be changed (replay).
    pub api: Option<Arc<dyn ResponseApi>>,
    /// Where pivots are looked up server side (live mode).
    pub lookups: Option<UnboundedSender<Pivot>>,
    /// Data sources' health reports (live mode).
    pub reports: Option<UnboundedReceiver<SourceReport>>,
    /// Told of every record the journal gains, whoever wrote it (the demo account learns
    /// what the Slack bridge did to it).
    pub observer: Option<Observer>,
    /// An archive being read into the console.
    pub loader: Option<Loader>,
}

/// A background read: what it finds, and how to stop it.
pub struct Loader {
    /// `Msg::Loaded` and `Msg::Load`, from the reading task.
    pub inbox: UnboundedReceiver<Msg>,
    pub cancel: Box<dyn Fn() + Send>,
}

pub type Observer = Arc<dyn Fn(&crate::model::Record) + Send + Sync>;

/// How often the clock ticks on screen.
const TICK: Duration = Duration::from_millis(250);
/// How long quitting waits for AWS calls already under way.
const DRAIN: Duration = Duration::from_secs(10);

/// Runs the console until the user quits. Returns the app as it was at the end.
pub async fn run(mut app: App, mut services: Services) -> anyhow::Result<App> {
    use std::io::IsTerminal;
    anyhow::ensure!(
        std::io::stdout().is_terminal() && std::io::stdin().is_terminal(),
        "the console needs an interactive terminal (stdin and stdout must be a TTY)"
    );
    let mut guard = TerminalGuard::enter()?;
    let size = guard.terminal.size()?;
    app.update(Msg::Resize(size.width, size.height));
    let mut input = EventStream::new();
    let mut tick = tokio::time::interval(TICK);
    let mut running: JoinSet<()> = JoinSet::new();
    // What background work reports back: filtered rows, responses that did not go through.
    let (inbox_tx, mut inbox_rx) = tokio::sync::mpsc::unbounded_channel::<Msg>();
    let latest_filter = LatestFilter::default();
    let lifecycle = Lifecycle::new(
        services.writer.clone(),
        services.api.clone(),
        services.clock.clone(),
        Policy {
            presenter: "console",
            read_only: app.mode.read_only,
            dry_run: app.mode.dry_run,
        },
    );
    // Ended from outside (kill, a closed terminal): leave the screen as `q` would.
    let mut term = unix_signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut hangup = unix_signal(tokio::signal::unix::SignalKind::hangup())?;
    guard.terminal.draw(|f| render::draw(f, &app.view()))?;
    loop {
        let msg = tokio::select! {
            ev = input.next() => match ev {
                Some(Ok(Event::Key(k))) => Msg::Key(k),
                Some(Ok(Event::Mouse(m))) => Msg::Mouse(m),
                Some(Ok(Event::Resize(w, h))) => Msg::Resize(w, h),
                Some(Ok(_)) => continue,
                Some(Err(e)) => Msg::Problem(format!("terminal input: {e}")),
                None => break,
            },
            tail = services.tail.recv() => match tail {
                Some(TailEvent::Records(mut records)) => {
                    // Fold everything already waiting before drawing once.
                    while let Ok(TailEvent::Records(more)) = services.tail.try_recv() {
                        records.extend(more);
                    }
                    if let Some(observe) = &services.observer {
                        records.iter().for_each(|r| observe(r));
                    }
                    Msg::Records(records)
                }
                Some(TailEvent::Error(e)) => Msg::Problem(e),
                None => Msg::Problem("the journal stopped".into()),
            },
            _ = tick.tick() => Msg::Tick(services.clock.now()),
            Some(report) = next_report(&mut services.reports) => Msg::Source(report),
            Some(msg) = inbox_rx.recv() => msg,
            _ = term.recv() => break,
            _ = hangup.recv() => break,
            Some(msg) = next_loaded(&mut services.loader) => msg,
            Some(_) = running.join_next(), if !running.is_empty() => continue,
        };
        for effect in app.update(msg) {
            match effect {
                Effect::Append(records) if services.journal_writes => {
                    services.writer.append(records)
                }
                Effect::Append(_) => {}
                Effect::Decide { .. } if !services.journal_writes => {
                    app.update(Msg::Problem(
                        "nothing can be decided here: this console does not write to the journal"
                            .into(),
                    ));
                }
                Effect::Decide {
                    action_id,
                    fingerprint,
                    decision,
                } => {
                    let (lifecycle, who, tx) =
                        (lifecycle.clone(), app.actor.clone(), inbox_tx.clone());
                    running.spawn(async move {
                        let outcome = match decision {
                            Decision::Confirm => lifecycle
                                .confirm(&action_id, &fingerprint, &who, &ConfirmRules::default())
                                .await
                                .map(Some),
                            Decision::Cancel => lifecycle
                                .cancel(&action_id, &fingerprint, &who)
                                .await
                                .map(|_| None),
                        };
                        match outcome {
                            // The result reaches the screen through the journal, as Slack's do.
                            Ok(Some(view)) => {
                                let _ = lifecycle.execute(&view, &who).await;
                            }
                            Ok(None) => {}
                            Err(e) => {
                                let _ = tx.send(Msg::Problem(format!("Not done: {e}")));
                            }
                        }
                    });
                }
                Effect::Copy(text) => terminal::copy_to_clipboard(&text),
                Effect::Filter(job) => filter_in_background(job, &latest_filter, inbox_tx.clone()),
                Effect::Lookup(pivot) => {
                    if let Some(tx) = &services.lookups {
                        let _ = tx.send(pivot);
                    }
                }
                Effect::CancelLoad => {
                    if let Some(loader) = &services.loader {
                        (loader.cancel)();
                    }
                }
                Effect::LoadTheme(path) => {
                    let (no_color, tx) = (app.theme.no_color, inbox_tx.clone());
                    tokio::task::spawn_blocking(move || {
                        let theme = crate::tui::theme::Theme::load(Some(&path), no_color)
                            .map_err(|e| e.to_string());
                        let _ = tx.send(Msg::Theme(theme));
                    });
                }
                Effect::Quit => {}
            }
        }
        if app.quit {
            break;
        }
        guard.terminal.draw(|f| render::draw(f, &app.view()))?;
    }
    // Let calls already made to AWS finish and be journaled.
    let _ = tokio::time::timeout(DRAIN, async {
        while running.join_next().await.is_some() {}
    })
    .await;
    drop(guard);
    Ok(app)
}

fn unix_signal(
    kind: tokio::signal::unix::SignalKind,
) -> anyhow::Result<tokio::signal::unix::Signal> {
    tokio::signal::unix::signal(kind).map_err(|e| anyhow::anyhow!("cannot watch for signals: {e}"))
}

/// The next health report, or never when there is no report channel.
async fn next_report(rx: &mut Option<UnboundedReceiver<SourceReport>>) -> Option<SourceReport> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// The next message of a background read, or never when there is none.
async fn next_loaded(loader: &mut Option<Loader>) -> Option<Msg> {
    match loader {
        Some(l) => l.inbox.recv().await,
        None => std::future::pending().await,
    }
}

/// The newest filter job per pane: an older one stops when a newer one starts.
type LatestFilter = Arc<PaneMap<std::sync::atomic::AtomicU64>>;

/// Runs a filter over a long pane on a blocking thread, sending the first screenful as soon
/// as it is found and everything at the end.
fn filter_in_background(
    job: super::app::FilterJob,
    latest: &LatestFilter,
    tx: tokio::sync::mpsc::UnboundedSender<Msg>,
) {
    use std::sync::atomic::Ordering;
    latest[job.pane].store(job.generation, Ordering::SeqCst);
    let latest = latest.clone();
    tokio::task::spawn_blocking(move || {
        let slot = &latest[job.pane];
        let query = crate::model::Query::new(&job.query);
        let superseded = || slot.load(Ordering::SeqCst) != job.generation;
        let partial_tx = tx.clone();
        let found = super::views::filter_detached(
            job.pane,
            &job.items,
            &job.texts,
            &query,
            &superseded,
            |first| {
                let _ = partial_tx.send(Msg::Filtered {
                    pane: job.pane,
                    generation: job.generation,
                    items: first.to_vec(),
                    complete: false,
                });
            },
            job.screenful,
        );
        if let Some(items) = found {
            let _ = tx.send(Msg::Filtered {
                pane: job.pane,
                generation: job.generation,
                items,
                complete: true,
            });
        }
    });
}
