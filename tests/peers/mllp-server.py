#!/usr/bin/python3
"""A practice system's MLLP receiver for integration tests, on python3-hl7's asyncio server.

usage: mllp-server.py [--port N] --log FILE [--answer CODE] [--first N --first-answer CODE]
                      [--exit-on-stdin-close]

Listens on 127.0.0.1 (port 0 by default) and prints one line {"port": N} once it does. Each
message received is parsed by python3-hl7 and appended to FILE as one JSON line: {"type":
MSH-9, "control_id": MSH-10, "answer": the ACK code, "raw": the message}. It answers with
python3-hl7's own ACK: CODE (default AA), except for the first N messages, which get
--first-answer (AE, AR, or "none" to close the connection without answering).
"""
import argparse
import asyncio
import json
import sys

import hl7
import hl7.mllp


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--log", required=True)
    p.add_argument("--answer", default="AA")
    p.add_argument("--first", type=int, default=0)
    p.add_argument("--first-answer", default="AE")
    p.add_argument("--exit-on-stdin-close", action="store_true")
    args = p.parse_args()
    seen = {"n": 0}

    async def session(reader, writer):
        try:
            while not writer.is_closing():
                message = await reader.readmessage()
                seen["n"] += 1
                code = args.first_answer if seen["n"] <= args.first else args.answer
                msh = message.segment("MSH")
                with open(args.log, "a", encoding="utf-8") as log:
                    log.write(json.dumps({
                        "type": str(msh[9]),
                        "control_id": str(msh[10]),
                        "answer": code,
                        "raw": str(message),
                    }) + "\n")
                if code == "none":
                    writer.close()
                    return
                writer.writemessage(message.create_ack(ack_code=code, message_id="RCV%d" % seen["n"]))
                await writer.drain()
        except asyncio.IncompleteReadError:
            pass
        finally:
            writer.close()

    async def run():
        server = await hl7.mllp.start_hl7_server(session, host="127.0.0.1", port=args.port)
        port = server.sockets[0].getsockname()[1]
        print(json.dumps({"port": port}), flush=True)
        if args.exit_on_stdin_close:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, sys.stdin.read)
        else:
            await server.serve_forever()

    asyncio.run(run())


if __name__ == "__main__":
    main()
