//! The real binary in a real pseudo-terminal: keys typed, the screen read back through a
//! terminal emulator.

use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Generous: these are waits for something to appear, not timings.
const PATIENCE: Duration = Duration::from_secs(60);

pub struct Console {
    screen: Arc<Mutex<vt100::Parser>>,
    /// Every byte the program wrote, for what the screen no longer shows.
    transcript: Arc<Mutex<Vec<u8>>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
}

impl Console {
    pub fn start(home: &Path, args: &[&str]) -> Console {
        Console::start_with_env(home, args, &[])
    }

    /// Starts warroom with extra environment variables (credentials, endpoints).
    pub fn start_with_env(home: &Path, args: &[&str], env: &[(String, String)]) -> Console {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: 40,
                cols: 140,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pseudo-terminal");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_warroom"));
        cmd.args(args);
        // Config, data and logs go to a scratch home, never the developer's.
        cmd.env("HOME", home);
        cmd.env("XDG_CONFIG_HOME", home.join("config"));
        cmd.env("XDG_DATA_HOME", home.join("data"));
        cmd.env("XDG_STATE_HOME", home.join("state"));
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("NO_COLOR");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pty.slave.spawn_command(cmd).expect("start warroom");
        drop(pty.slave);
        let screen = Arc::new(Mutex::new(vt100::Parser::new(
            std::num::NonZeroU16::new(40).unwrap(),
            std::num::NonZeroU16::new(140).unwrap(),
            0,
        )));
        let mut reader = pty.master.try_clone_reader().unwrap();
        let sink = screen.clone();
        let transcript = Arc::new(Mutex::new(Vec::new()));
        let raw = transcript.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                raw.lock().unwrap().extend_from_slice(&buf[..n]);
                sink.lock().unwrap().process(&buf[..n]);
            }
        });
        let writer = pty.master.take_writer().unwrap();
        // Keep the master open for the child's lifetime.
        std::mem::forget(pty.master);
        Console {
            screen,
            transcript,
            writer,
            child,
        }
    }

    /// Everything written to the terminal so far, escape sequences included.
    pub fn transcript(&self) -> String {
        String::from_utf8_lossy(&self.transcript.lock().unwrap()).into_owned()
    }

    pub fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    pub fn wait_for(&self, text: &str) {
        let start = Instant::now();
        while start.elapsed() < PATIENCE {
            if self.contents().contains(text) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "\"{text}\" never appeared; the screen was:\n{}",
            self.contents()
        );
    }

    /// Waits until `text` is no longer on screen.
    pub fn wait_gone(&self, text: &str) {
        let start = Instant::now();
        while start.elapsed() < PATIENCE {
            if !self.contents().contains(text) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("\"{text}\" stayed; the screen was:\n{}", self.contents());
    }

    /// Types keys one at a time, as a person would (and so that a lone `esc` is not read
    /// as the start of an escape sequence).
    pub fn keys(&mut self, keys: &str) {
        for b in keys.bytes() {
            self.writer.write_all(&[b]).unwrap();
            self.writer.flush().unwrap();
            std::thread::sleep(Duration::from_millis(40));
        }
    }

    pub fn esc(&mut self) {
        std::thread::sleep(Duration::from_millis(100));
        self.keys("\x1b");
        std::thread::sleep(Duration::from_millis(150));
    }

    /// Whether the program is drawing on the alternate screen (a full-screen program that
    /// has left restores the main one).
    pub fn on_alternate_screen(&self) -> bool {
        self.screen.lock().unwrap().screen().alternate_screen()
    }

    /// Whether the terminal is reporting the mouse to the program.
    pub fn mouse_captured(&self) -> bool {
        self.screen.lock().unwrap().screen().mouse_protocol_mode() != vt100::MouseProtocolMode::None
    }

    /// Sends SIGTERM, as `kill` or a closing session does.
    pub fn terminate(&self) {
        let pid = self
            .child
            .process_id()
            .expect("a running child")
            .to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(sent.success());
    }

    pub fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let start = Instant::now();
        while start.elapsed() < PATIENCE {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.child.kill().ok();
        panic!("warroom did not exit; the screen was:\n{}", self.contents());
    }
}
