//! The README's layout section names every source file (a folder's line stands for its
//! mod.rs), and names none that is gone.

use std::collections::BTreeSet;
use std::path::Path;

fn source_files(dir: &Path, found: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            source_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.insert(path.to_string_lossy().into_owned());
        }
    }
}

/// The paths the layout block names: `src/x/` opens a folder whose indented entries follow.
fn listed_files(readme: &str) -> BTreeSet<String> {
    let section = readme
        .split_once("\n## Layout\n")
        .expect("the README has a Layout section")
        .1;
    let block = section
        .split("```")
        .nth(1)
        .expect("the Layout section holds a code block");
    let mut folder = String::new();
    let mut listed = BTreeSet::new();
    for line in block.lines() {
        let Some(first) = line.split_whitespace().next() else {
            continue;
        };
        if !line.starts_with(' ') {
            folder = if first.ends_with('/') {
                first.to_owned()
            } else {
                String::new()
            };
            if folder.starts_with("src/") && !folder.starts_with("src/bin/") {
                // A folder's line stands for its module file.
                listed.insert(format!("{folder}mod.rs"));
            }
        }
        let path = if line.starts_with("  ") && first.ends_with(".rs") {
            format!("{folder}{first}")
        } else {
            first.to_owned()
        };
        if path.starts_with("src/") && path.ends_with(".rs") {
            listed.insert(path);
        }
    }
    listed
}

#[test]
fn the_readme_layout_lists_every_source_file_and_no_other() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = BTreeSet::new();
    source_files(&root.join("src"), &mut files);
    let files: BTreeSet<String> = files
        .into_iter()
        .map(|f| {
            f.strip_prefix(&format!("{}/", root.display()))
                .unwrap()
                .to_owned()
        })
        .collect();
    // The role-audit binary's files are named in one line.
    let mut files = files;
    files.retain(|f| !f.starts_with("src/bin/role-audit/"));
    files.remove("src/lib.rs");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let listed = listed_files(&readme);
    let missing: Vec<_> = files.difference(&listed).collect();
    let gone: Vec<_> = listed.difference(&files).collect();
    assert!(
        missing.is_empty() && gone.is_empty(),
        "README layout: not listed {missing:?}; listed but not in src/ {gone:?}"
    );
    assert!(
        files.len() >= 20,
        "{} files found: the walk is broken",
        files.len()
    );
}
