//! Reading `text/event-stream` in tests and the load harness.

/// Takes every complete event out of `buffer` and returns the profile names they carry.
pub fn drain_names(buffer: &mut String) -> Vec<String> {
    let mut names = Vec::new();
    while let Some(end) = buffer.find("\n\n") {
        let event: String = buffer.drain(..end + 2).collect();
        if let Some(data) = event.lines().find_map(|l| l.strip_prefix("data:"))
            && let Ok(profile) = serde_json::from_str::<serde_json::Value>(data.trim())
            && let Some(name) = profile["name"].as_str()
        {
            names.push(name.to_owned());
        }
    }
    names
}
