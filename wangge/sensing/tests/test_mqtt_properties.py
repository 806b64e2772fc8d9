"""paho's MQTT 5 properties behave as paho's own with the shared tables (wangge/sensing/mqtt.py)."""
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

import wangge.sensing.mqtt  # noqa: F401 (shares the tables)


def test_the_tables_are_shared_and_properties_still_round_trip():
    first, second = Properties(PacketTypes.PUBLISH), Properties(PacketTypes.CONNECT)
    assert first.names is second.names and first.properties is second.properties
    assert first.packetType == PacketTypes.PUBLISH and second.packetType == PacketTypes.CONNECT
    first.MessageExpiryInterval = 30
    first.UserProperty = ("door", "1")
    packed = first.pack()
    decoded = Properties(PacketTypes.PUBLISH)
    decoded.unpack(packed)
    assert decoded.MessageExpiryInterval == 30 and decoded.UserProperty == [("door", "1")]
    assert not hasattr(second, "MessageExpiryInterval")  # one instance's values are not another's
    second.SessionExpiryInterval = 60
    assert second.SessionExpiryInterval == 60 and not hasattr(first, "SessionExpiryInterval")
