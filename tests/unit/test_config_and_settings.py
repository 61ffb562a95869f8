from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui import config
from tui.demo import demo_uri
from tui.settings import resolve_targets


def test_missing_file_is_an_empty_config(tmp_path):
    cfg = config.load(tmp_path / "none.toml")
    assert cfg.connections == [] and cfg.refresh == 2.0


def test_bad_files_say_where_and_what(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("refresh = -1\n")
    with pytest.raises(config.ConfigError, match="refresh must be a positive"):
        config.load(path)
    path.write_text("[[connection]]\nuri = 'nonsense'\n")
    with pytest.raises(config.ConfigError, match="connection #1"):
        config.load(path)
    path.write_text("this is = = not toml")
    with pytest.raises(config.ConfigError, match="not valid TOML"):
        config.load(path)


names = st.one_of(st.none(), st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1))


@given(name=names, autoconnect=st.booleans(), theme=st.one_of(st.none(), st.text(min_size=1).filter(lambda t: "\x00" not in t or True)))
def test_saved_connections_round_trip(tmp_path_factory, name, autoconnect, theme):
    path = tmp_path_factory.mktemp("cfg") / "config.toml"
    cfg = config.Config(path=path, theme=theme, keymap={"view.guests": "1,f1"})
    config.add_connection(cfg, config.SavedConnection("qemu+ssh://root@kvm01/system", name, autoconnect))
    loaded = config.load(path)
    assert loaded.connections == [config.SavedConnection("qemu+ssh://root@kvm01/system", name or None, autoconnect)]
    assert loaded.theme == theme
    assert loaded.keymap == {"view.guests": "1,f1"}


def test_remove_connection(tmp_path):
    cfg = config.Config(path=tmp_path / "c.toml")
    config.add_connection(cfg, config.SavedConnection("qemu:///system"))
    config.add_connection(cfg, config.SavedConnection("qemu:///session"))
    assert config.remove_connection(cfg, "qemu:///system")
    assert [c.uri for c in config.load(cfg.path).connections] == ["qemu:///session"]


def test_target_order(tmp_path):
    cfg = config.Config(path=Path(tmp_path / "c.toml"))
    env = {"LIBVIRT_DEFAULT_URI": "qemu+ssh://envhost/system"}
    assert resolve_targets(["test:///default"], cfg, env, True)[1] == "command line"
    assert resolve_targets([], cfg, env, True)[0][0].uri == "qemu+ssh://envhost/system"
    assert resolve_targets([], cfg, {}, True)[0][0].uri == "qemu:///system"
    targets, source = resolve_targets([], cfg, {}, False)
    assert source == "demo" and targets[0].demo and targets[0].uri == demo_uri()
    cfg.connections = [config.SavedConnection("qemu:///session", "mine", True),
                       config.SavedConnection("qemu+ssh://off/system", None, False)]
    targets, source = resolve_targets([], cfg, env, True)
    assert [(t.uri, t.name) for t in targets] == [("qemu:///session", "mine")]
    assert source.startswith("config")
