"""A load generator for MQTT, as wrk is for HTTP: QoS 1 PUBLISH packets (MQTT 3.1.1) built in bulk and written to
one connection with a window of unacknowledged messages, the broker's PUBACKs counted as they come back.

The devices of a benchmark are not what it measures, and a full client library (paho: tens of microseconds of
Python per message) would take the 2-core machine's time from the broker and the subscriber under test. Every
message is still a separate QoS 1 publish to its own device's topic, acknowledged by the broker."""
import socket
import struct


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _string(text: bytes) -> bytes:
    return struct.pack("!H", len(text)) + text


class Publisher:
    def __init__(self, host: str, port: int, client_id: str, window: int = 20_000):
        self.sock = socket.create_connection((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        body = _string(b"MQTT") + bytes([4, 0x02]) + struct.pack("!H", 60) + _string(client_id.encode())
        self.sock.sendall(b"\x10" + _varint(len(body)) + body)
        connack = self._read(4)
        if connack[0] != 0x20 or connack[3] != 0:
            raise ConnectionError(f"CONNACK refused: {connack!r}")
        self.window = window
        self.sent = self.acked = 0
        self.next_id = 1
        self.buffer = b""

    def _read(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("broker closed the connection")
            data += chunk
        return data

    def _count_acks(self, block: bool):
        self.sock.setblocking(block)
        try:
            data = self.sock.recv(1 << 20)
        except BlockingIOError:
            data = b""
        finally:
            self.sock.setblocking(True)
        data = self.buffer + data
        whole = len(data) // 4 * 4  # PUBACK is 4 bytes: 0x40 0x02 id id
        self.acked += whole // 4
        self.buffer = data[whole:]

    def publish_many(self, messages):
        """(topic bytes, payload bytes) pairs, each a QoS 1 PUBLISH."""
        packets = []
        for topic, payload in messages:
            packet_id = self.next_id
            self.next_id = 1 if packet_id == 65535 else packet_id + 1
            body = _string(topic) + struct.pack("!H", packet_id) + payload
            packets.append(b"\x32" + _varint(len(body)) + body)
        while self.sent - self.acked + len(packets) > self.window:
            self._count_acks(block=True)
        self.sock.sendall(b"".join(packets))
        self.sent += len(packets)
        self._count_acks(block=False)

    def finish(self):
        while self.acked < self.sent:
            self._count_acks(block=True)
        self.sock.sendall(b"\xe0\x00")  # DISCONNECT
        self.sock.close()
