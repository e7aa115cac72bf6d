"""A file-writing e-mail backend that takes its time, like a real SMTP server does.

The worker-killed fault test points a real worker at it (EMAIL_BACKEND=
tests.faults.slow_email.EmailBackend): the pause widens the moment between "handed to the
provider" and "marked sent", which is where a `kill -9` can make a send repeat.
"""

import os
import time

from django.core.mail.backends.filebased import EmailBackend as FileBackend


class EmailBackend(FileBackend):
    delay_seconds = float(os.environ.get("FAULT_EMAIL_DELAY_SECONDS", "0.005"))

    def send_messages(self, email_messages):
        time.sleep(self.delay_seconds * len(email_messages))
        return super().send_messages(email_messages)
