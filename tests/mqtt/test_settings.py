"""`[mqtt]`: the broker URL and TLS files are checked at start; a client made from them reaches a real broker."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import aiomqtt
import pytest

from tests.mosquitto import MosquittoServer
from thinggate.config import ConfigError, load_config
from thinggate.mqtt.client import make_client
from thinggate.mqtt.settings import BrokerAddress, MqttConfig


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("mqtt://broker.local", BrokerAddress("broker.local", 1883, tls=False)),
        ("mqtts://broker.local", BrokerAddress("broker.local", 8883, tls=True)),
        ("mqtt://hub:s%40cret@10.0.0.5:1884", BrokerAddress("10.0.0.5", 1884, False, "hub", "s@cret")),
        ("mqtt://[::1]:1883/", BrokerAddress("::1", 1883, tls=False)),
    ],
)
def test_the_url_gives_host_port_tls_and_credentials(url: str, address: BrokerAddress) -> None:
    settings = MqttConfig(url=url)
    settings.check()
    assert settings.address() == address


@pytest.mark.parametrize(
    ("settings", "complaint"),
    [
        (MqttConfig(url="http://broker"), "must start with mqtt:// or mqtts://"),
        (MqttConfig(url="mqtt://"), "names no host"),
        (MqttConfig(url="mqtt://broker:99999"), "the port must be a number"),
        (MqttConfig(url="mqtt://broker/topic"), "only scheme, user, password, host and port"),
        (MqttConfig(url="mqtt://broker", ca_file="/etc/hostname"), "need an mqtts:// url"),
        (MqttConfig(url="mqtts://broker", cert_file="/etc/hostname"), "give both or neither"),
        (
            MqttConfig(url="mqtts://broker", ca_file="/nonexistent/ca.pem"),
            "ca_file = '/nonexistent/ca.pem': no such file",
        ),
        (MqttConfig(url="mqtt://broker", keepalive_seconds=1), "keepalive_seconds = 1"),
        (MqttConfig(url="mqtt://broker", reconnect_seconds=0), "reconnect_seconds = 0"),
    ],
)
def test_settings_the_hub_cannot_use_are_refused_by_name(settings: MqttConfig, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint.replace("(", r"\(")):
        settings.check()


def test_a_refused_url_never_shows_its_password() -> None:
    with pytest.raises(ValueError) as refused:
        MqttConfig(url="mqtt://hub:topsecret@broker/extra").check()
    assert "topsecret" not in str(refused.value) and "***" in str(refused.value)
    assert "topsecret" not in repr(MqttConfig(url="mqtt://hub:topsecret@broker").address())


def test_no_url_means_no_broker_and_is_the_default(tmp_path: Path) -> None:
    assert not MqttConfig().enabled
    toml = tmp_path / "thinggate.toml"
    toml.write_text('[mqtt]\nurl = "mqtt://127.0.0.1:1883"\nkeepalive_seconds = 20\n')
    config = load_config(toml)
    assert config.mqtt.enabled and config.mqtt.keepalive_seconds == 20
    toml.write_text('[mqtt]\nurl = "mqtt://127.0.0.1"\nbroker = "x"\n')
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['broker'\] in \[mqtt\]"):
        load_config(toml)


async def test_a_client_made_from_the_settings_publishes_and_receives_through_a_real_broker(
    mosquitto: MosquittoServer,
) -> None:
    settings = MqttConfig(url=mosquitto.url)
    async with make_client(settings, identifier="test-subscriber") as subscriber:
        await subscriber.subscribe("thinggate/test/#", qos=1)
        async with make_client(settings, identifier="test-publisher") as publisher:
            await publisher.publish("thinggate/test/hello", b'{"state": 1}', qos=1)
        message = await asyncio.wait_for(anext(aiomqtt_messages(subscriber)), timeout=10)
    assert (str(message.topic), message.payload) == ("thinggate/test/hello", b'{"state": 1}')


def aiomqtt_messages(client: aiomqtt.Client) -> aiomqtt.client.MessagesIterator:
    """The client's incoming messages."""
    return client.messages


DOOMED_HUB = """
import asyncio, sys
import aiomqtt
from thinggate.mqtt.client import make_client
from thinggate.mqtt.settings import MqttConfig

async def main() -> None:
    will = aiomqtt.Will("thinggate/test/status", b"offline", qos=1, retain=True)
    async with make_client(MqttConfig(url=sys.argv[1], keepalive_seconds=5), identifier="doomed", will=will):
        print("connected", flush=True)
        await asyncio.sleep(3600)

asyncio.run(main())
"""


async def test_the_last_will_is_published_when_the_client_is_killed(mosquitto: MosquittoServer) -> None:
    settings = MqttConfig(url=mosquitto.url)
    async with make_client(settings, identifier="watcher") as watcher:
        await watcher.subscribe("thinggate/test/status", qos=1)
        # A hub killed with SIGKILL sends no DISCONNECT: the broker publishes the will it was given.
        doomed = await asyncio.create_subprocess_exec(
            sys.executable, "-c", DOOMED_HUB, mosquitto.url, stdout=asyncio.subprocess.PIPE
        )
        assert doomed.stdout is not None
        assert await asyncio.wait_for(doomed.stdout.readline(), timeout=30) == b"connected\n"
        doomed.kill()
        await doomed.wait()
        message = await asyncio.wait_for(anext(aiomqtt_messages(watcher)), timeout=15)
    assert (str(message.topic), message.payload) == ("thinggate/test/status", b"offline")
