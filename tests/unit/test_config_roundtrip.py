"""Saving a connection edits the user's config.toml in place (the add-connection form and the
Hosts view's remove call config.add_connection / config.remove_connection, as here)."""

import difflib
import os
import tomllib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui import config

USER_FILE = """\
# virtdeck, as I like it
refresh = 2.0   # fast enough
colour = "amber"  # not a key virtdeck knows (yet)

# lab hosts
[[connection]]
name = "kvm01"  # the big one
uri = "qemu+ssh://root@kvm01/system"
rack = 4        # mine, not virtdeck's

# the laptop
[[connection]]
uri = "qemu:///system"
autoconnect = false


# warnings: leave them
[thresholds]  # see the README
vcpu_ratio = 4.0

[keymap]
"view.guests" = "1,f1"  # muscle memory
"""

KVM01 = "qemu+ssh://root@kvm01/system"
LAPTOP = "qemu:///system"


def _user_config(tmp_path, text=USER_FILE):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return config.load(path)


def _changes(before: str, after: str) -> list[tuple[str, list[str], list[str]]]:
    """(kind, old lines, new lines) for each place the text differs."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    return [(tag, old[i1:i2], new[j1:j2])
            for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes()
            if tag != "equal"]


def test_adding_inserts_one_table_and_changes_no_other_byte(tmp_path):
    cfg = _user_config(tmp_path)
    config.add_connection(cfg, config.SavedConnection("test:///default", 'lab "x" [y]\\', False, "libvirt"))
    after = cfg.path.read_text(encoding="utf-8")
    changes = _changes(USER_FILE, after)
    assert [kind for kind, _, _ in changes] == ["insert"], changes
    inserted = "".join(changes[0][2])
    assert tomllib.loads(inserted) == {"connection": [
        {"name": 'lab "x" [y]\\', "uri": "test:///default", "autoconnect": False, "ssh": "libvirt"}]}
    # after the other entries, before the comment that leads to [thresholds]
    assert after.index("[[connection]]\nname = \"lab") > after.index(LAPTOP)
    assert after.index("# warnings: leave them") > after.index('ssh = "libvirt"')
    loaded = config.load(cfg.path)
    assert [c.uri for c in loaded.connections] == [KVM01, LAPTOP, "test:///default"]
    assert loaded.connections[-1] == config.SavedConnection("test:///default", 'lab "x" [y]\\', False, "libvirt")
    assert tomllib.loads(after)["colour"] == "amber"


def test_changing_an_entry_touches_only_the_lines_that_change(tmp_path):
    cfg = _user_config(tmp_path)
    config.add_connection(cfg, config.SavedConnection(KVM01, "big iron", False))
    after = cfg.path.read_text(encoding="utf-8")
    changes = _changes(USER_FILE, after)
    assert changes == [
        ("replace", ['name = "kvm01"  # the big one\n'], ['name = "big iron"  # the big one\n']),
        ("insert", [], ["autoconnect = false\n"]),
    ]
    assert after.index("autoconnect = false") < after.index("# the laptop")  # with its table's keys
    assert config.load(cfg.path).connections[0] == config.SavedConnection(KVM01, "big iron", False)


def test_removing_an_entry_keeps_everything_else(tmp_path):
    cfg = _user_config(tmp_path)
    assert config.remove_connection(cfg, KVM01)
    after = cfg.path.read_text(encoding="utf-8")
    removed = ['[[connection]]\n', 'name = "kvm01"  # the big one\n', 'uri = "qemu+ssh://root@kvm01/system"\n',
               'rack = 4        # mine, not virtdeck\'s\n']
    assert _changes(USER_FILE, after) == [("delete", removed, [])]
    assert [c.uri for c in config.load(cfg.path).connections] == [LAPTOP]
    assert [c.uri for c in cfg.connections] == [LAPTOP]


def test_removing_the_last_entry_leaves_no_empty_list_behind(tmp_path):
    cfg = _user_config(tmp_path)
    config.remove_connection(cfg, KVM01)
    config.remove_connection(cfg, LAPTOP)
    after = cfg.path.read_text(encoding="utf-8")
    assert "connection" not in tomllib.loads(after)
    assert "connection = []" not in after
    for line in USER_FILE.splitlines():
        if not any(part in line for part in ("[[connection]]", "kvm01", "rack", LAPTOP, "autoconnect")):
            assert line in after.splitlines(), line
    assert config.load(cfg.path).keymap == {"view.guests": "1,f1"}


SHAPES = {
    "commented": USER_FILE,
    "empty": "",
    "settings only": "refresh = 5.0\n",
    "entry at the end": "# mine\nrefresh = 5.0\n\n[[connection]]\nuri = \"qemu:///system\"\n",
    "compact": "[[connection]]\nuri = \"qemu:///system\"\n[keymap]\n\"app.quit\" = \"q\"\n",
    "tables, no entries": "refresh = 5.0\n\n# keys\n[keymap]\n\"app.quit\" = \"q\"\n",
}


@pytest.mark.parametrize("shape", SHAPES)
def test_add_then_remove_gives_back_the_same_bytes(tmp_path, shape):
    cfg = _user_config(tmp_path, SHAPES[shape])
    config.add_connection(cfg, config.SavedConnection("test:///default", "lab"))
    assert "test:///default" in [c.uri for c in config.load(cfg.path).connections]
    assert config.remove_connection(cfg, "test:///default")
    assert cfg.path.read_bytes() == SHAPES[shape].encode()


def test_a_file_without_a_final_newline_gets_one_and_nothing_else(tmp_path):
    text = 'refresh = 5.0\n[[connection]]\nuri = "qemu:///system"  # no newline after this'
    cfg = _user_config(tmp_path, text)
    config.add_connection(cfg, config.SavedConnection("test:///default", "lab"))
    assert config.remove_connection(cfg, "test:///default")
    assert cfg.path.read_text(encoding="utf-8") == text + "\n"


names = st.one_of(st.none(), st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20))


@settings(max_examples=60)
@given(shape=st.sampled_from(sorted(SHAPES)), names=st.lists(names, min_size=1, max_size=4),
       order=st.randoms(use_true_random=False))
def test_any_adds_removed_in_any_order_give_back_the_same_bytes(tmp_path_factory, shape, names, order):
    cfg = _user_config(tmp_path_factory.mktemp("cfg"), SHAPES[shape])
    uris = [f"test:///lab{i}" for i in range(len(names))]
    for uri, name in zip(uris, names):
        config.add_connection(cfg, config.SavedConnection(uri, name))
    loaded = {c.uri: c.name for c in config.load(cfg.path).connections}
    assert [loaded[uri] for uri in uris] == [name or None for name in names]  # any name, escaped
    order.shuffle(uris)
    for uri in uris:
        assert config.remove_connection(cfg, uri)
    assert cfg.path.read_bytes() == SHAPES[shape].encode()


BROKEN = USER_FILE.replace("[[connection]]\nuri = \"qemu:///system\"", "[[connection]\nuri = \"qemu:///system\"")


def test_a_broken_file_is_refused_with_where_and_left_untouched(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(USER_FILE, encoding="utf-8")
    cfg = config.load(path)
    path.write_text(BROKEN, encoding="utf-8")  # the user edits it while virtdeck runs
    os.utime(path, (1_000_000_000, 1_000_000_000))
    for edit in (lambda: config.add_connection(cfg, config.SavedConnection("test:///default")),
                 lambda: config.remove_connection(cfg, KVM01)):
        with pytest.raises(config.ConfigError, match=r"not valid TOML: .*\(at line 12, column 13\)") as raised:
            edit()
        assert str(path) in str(raised.value)
        assert path.read_text(encoding="utf-8") == BROKEN
        assert os.stat(path).st_mtime == 1_000_000_000
    assert [c.uri for c in cfg.connections] == [KVM01, LAPTOP]  # nothing claimed as saved
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]  # no temporary left behind


def test_a_connection_key_that_is_not_a_list_of_tables_is_refused(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('connection = "qemu:///system"  # not how it works\n', encoding="utf-8")
    cfg = config.Config(path=path)
    with pytest.raises(config.ConfigError, match=r"\[\[connection\]\]"):
        config.add_connection(cfg, config.SavedConnection("test:///default"))
    assert path.read_text(encoding="utf-8") == 'connection = "qemu:///system"  # not how it works\n'


def test_a_symlinked_config_is_edited_where_it_lives(tmp_path):
    real = tmp_path / "dotfiles" / "virtdeck.toml"
    real.parent.mkdir()
    real.write_text(USER_FILE, encoding="utf-8")
    os.chmod(real, 0o600)
    link = tmp_path / "config.toml"
    link.symlink_to(real)
    cfg = config.load(link)
    config.add_connection(cfg, config.SavedConnection("test:///default"))
    assert link.is_symlink() and "test:///default" in real.read_text(encoding="utf-8")
    assert os.stat(real).st_mode & 0o777 == 0o600


def test_a_new_file_holds_what_the_app_knows(tmp_path):
    cfg = config.Config(path=tmp_path / "new" / "config.toml", theme="nord", keymap={"app.quit": "q"})
    config.add_connection(cfg, config.SavedConnection("qemu:///system", "here", False, "libvirt"))
    loaded = config.load(cfg.path)
    assert loaded.connections == [config.SavedConnection("qemu:///system", "here", False, "libvirt")]
    assert (loaded.theme, loaded.keymap) == ("nord", {"app.quit": "q"})
