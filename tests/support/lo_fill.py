"""Type values into a workbook with LibreOffice Calc (through UNO) and save it as .xlsx.

Run with the Python that has LibreOffice's `uno` module (Debian: /usr/bin/python3 with
python3-uno):  python3 lo_fill.py SOFFICE SOURCE TARGET SHEET VALUES_JSON
This is how a unit fills a form: the values go into the cells and Calc saves the file.
"""

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import uno
from com.sun.star.beans import PropertyValue


def prop(name, value):
    item = PropertyValue()
    item.Name, item.Value = name, value
    return item


def main():
    soffice, source, target, sheet_name, values_json = sys.argv[1:6]
    values = json.loads(values_json)
    pipe = f"formkit_fill_{os.getpid()}"
    with tempfile.TemporaryDirectory() as profile:
        office = subprocess.Popen([soffice, f"-env:UserInstallation={Path(profile).as_uri()}",
                                   "--headless", "--invisible", "--norestore",
                                   f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            local = uno.getComponentContext()
            resolver = local.ServiceManager.createInstanceWithContext(
                "com.sun.star.bridge.UnoUrlResolver", local)
            for _ in range(300):
                try:
                    context = resolver.resolve(
                        f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                    break
                except Exception:
                    time.sleep(0.1)
            else:
                raise SystemExit("LibreOffice did not start")
            desktop = context.ServiceManager.createInstanceWithContext(
                "com.sun.star.frame.Desktop", context)
            document = desktop.loadComponentFromURL(uno.systemPathToFileUrl(source), "_blank", 0,
                                                    (prop("Hidden", True),))
            sheet = document.Sheets.getByName(sheet_name)
            for cell, value in values.items():
                target_cell = sheet.getCellRangeByName(cell)
                if isinstance(value, (int, float)):
                    target_cell.setValue(value)
                else:
                    target_cell.setString(value)
            document.calculateAll()
            document.storeToURL(uno.systemPathToFileUrl(target),
                                (prop("FilterName", "Calc MS Excel 2007 XML"),))
            document.close(True)
            with contextlib.suppress(Exception):  # terminating disposes the bridge under us
                desktop.terminate()
        finally:
            try:
                office.wait(timeout=30)
            except subprocess.TimeoutExpired:
                office.kill()


if __name__ == "__main__":
    main()
