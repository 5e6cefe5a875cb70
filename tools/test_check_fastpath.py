"""Self-test for tools/check-fastpath: what it must find, on small synthetic disassemblies.

Run from the repository root with
    /usr/bin/python3 -m unittest tools/test_check_fastpath.py
(tools/test runs it together with tools/test_gen_traces.py).
"""

import importlib.machinery
import importlib.util
import os
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


def load_checker():
    path = os.path.join(HERE, "check-fastpath")
    loader = importlib.machinery.SourceFileLoader("check_fastpath", path)
    spec = importlib.util.spec_from_loader("check_fastpath", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


CHECK = load_checker()

# Two PMD loop specialisations, as the real binaries have (the check refuses fewer).
PIPELINE_LOOP = "$s9Dataplane7PMDLoopV3runyyF8Pipeline14SwitchPipelineV_Tg5"
IO_LOOP = "$s9Dataplane7PMDLoopV3runyyF8Pipeline11IOForwarderV_Tg5"
HELPER = "$s8Pipeline13TransmitStageV4sendyyF"
TAIL = "$s8Pipeline13TransmitStageV5flushyyF"
COLD = "$s8Pipeline13TransmitStageV4sendyyF.cold.1"
CREATE = "$s8Pipeline12MACTableViewV6create_4port3now6paused5foundAA14MACLearnResultOs6UInt64V_s6UInt16Vs6UInt32V" \
         "SbAC06SearchG0VtF"
UPDATE = "$s8Pipeline12MACTableViewV6update4slot5value4port3nowAA14MACLearnResultOSi_s6UInt64Vs6UInt16Vs6UInt32VtF"
UPDATE_SPECIALISED = UPDATE + "Tf4nnnnx_n"
LOOKUP = "$s8Pipeline12MACTableViewV5probe3key4homes6UInt16VSgs6UInt64V_SitF"
RETAIN = "swift_retain@plt"


def objdump(functions):
    """objdump -d --no-show-raw-insn text for {name: [instruction, ...]}, functions 0x1000 apart."""
    lines = ["", "Disassembly of section .text:", ""]
    for index, (name, instructions) in enumerate(functions.items()):
        base = 0x401000 + index * 0x1000
        lines.append(f"{base:016x} <{name}>:")
        for offset, instruction in enumerate(instructions):
            lines.append(f"  {base + offset * 4:x}:\t{instruction}")
        lines.append("")
    return "\n".join(lines)


def run(functions):
    """(passed, printed lines) of the check over the synthetic binary."""
    printed = []
    passed = CHECK.check_functions("bin", CHECK.parse_objdump(objdump(functions)), out=printed.append)
    return passed, printed


def program(pipeline_body, **others):
    """A binary with both loops: the pipeline loop runs `pipeline_body`; `others` ({name: body}) follow it
    (the first at 0x402000, the next at 0x403000), the io loop comes last."""
    functions = {PIPELINE_LOOP: pipeline_body}
    functions.update(others)
    functions[IO_LOOP] = ["ret"]
    return functions


class CheckFastpathTests(unittest.TestCase):
    def test_clean_path_passes_and_reports_counts(self):
        passed, printed = run(program([f"call   402000 <{HELPER}>", "ret"], **{HELPER: ["add    %rax,%rbx", "ret"]}))
        self.assertTrue(passed, printed)
        self.assertIn("2 PMD loop specialisations, 3 functions on the fast path (3 through calls, 0 more "
                      "through jumps), 0 locked instructions allowed", printed[-1])

    def test_runtime_call_in_a_called_function_fails(self):
        passed, printed = run(program([f"call   402000 <{HELPER}>", "ret"], **{HELPER: [f"call   400100 <{RETAIN}>"]}))
        self.assertFalse(passed)
        self.assertIn(f"bin: {HELPER} (reached from {PIPELINE_LOOP}) calls {RETAIN}", printed)

    def test_runtime_call_reached_only_through_a_tail_jump_fails(self):
        passed, printed = run(program(
            [f"call   402000 <{HELPER}>", "ret"],
            **{HELPER: ["test   %eax,%eax", f"jmp    403000 <{TAIL}>"], TAIL: [f"call   400100 <{RETAIN}>", "ret"]}))
        self.assertFalse(passed)
        self.assertIn(f"bin: {TAIL} (reached from {PIPELINE_LOOP}) calls {RETAIN}", printed)
        self.assertIn("(3 through calls, 1 more through jumps)", printed[-1])

    def test_runtime_call_in_a_cold_part_reached_by_a_conditional_jump_fails(self):
        passed, printed = run(program(
            [f"call   402000 <{HELPER}>", "ret"],
            **{HELPER: [f"jne    403000 <{COLD}>", "ret"], COLD: [f"call   400100 <{RETAIN}>"]}))
        self.assertFalse(passed)
        self.assertIn(f"bin: {COLD} (reached from {PIPELINE_LOOP}) calls {RETAIN}", printed)

    def test_tail_jump_straight_into_the_runtime_fails(self):
        passed, printed = run(program([f"jmp    400100 <{RETAIN}>"]))
        self.assertFalse(passed)
        self.assertIn(f"bin: {PIPELINE_LOOP} (reached from {PIPELINE_LOOP}) jumps to {RETAIN}", printed)

    def test_local_jumps_are_not_followed(self):
        # A branch inside the loop, written as objdump writes it: the function's own name plus an offset.
        # (Were it followed as a call, the function would count twice or a bogus name would be looked up.)
        passed, printed = run(program([f"jne    401008 <{PIPELINE_LOOP}+0x8>", f"jmp    401000 <{PIPELINE_LOOP}>",
                                       "ret"]))
        self.assertTrue(passed, printed)
        self.assertIn("2 functions on the fast path (2 through calls, 0 more through jumps)", printed[-1])

    def test_jump_into_the_middle_of_another_function_checks_that_function(self):
        passed, printed = run(program([f"jmp    402010 <{TAIL}+0x10>"], **{TAIL: [f"call   400100 <{RETAIN}>"]}))
        self.assertFalse(passed)
        self.assertIn(f"bin: {TAIL} (reached from {PIPELINE_LOOP}) calls {RETAIN}", printed)

    def test_unreached_functions_are_not_checked(self):
        passed, printed = run(program(["ret"], **{TAIL: [f"call   400100 <{RETAIN}>", "lock cmpxchg %rcx,(%rdx)"]}))
        self.assertTrue(passed, printed)

    def test_lock_cmpxchg_outside_the_allow_list_fails(self):
        # Even in MACTableView: only its learning functions may hold one.
        for name in (HELPER, LOOKUP):
            passed, printed = run(program([f"call   402000 <{name}>", "ret"],
                                          **{name: ["lock cmpxchg %rcx,(%rdx)", "ret"]}))
            self.assertFalse(passed, name)
            self.assertIn(f"bin: {name} (reached from {PIPELINE_LOOP}) at 402000: lock cmpxchg %rcx,(%rdx) "
                          "(lock prefix)", printed)

    def test_locked_instruction_in_the_loop_itself_fails(self):
        passed, printed = run(program(["lock incq (%rax)", "ret"]))
        self.assertFalse(passed)
        self.assertIn("lock prefix", printed[0])

    def test_lock_cmpxchg_in_mac_learning_passes_and_is_reported(self):
        passed, printed = run(program(
            [f"call   402000 <{CREATE}>", f"call   403000 <{UPDATE_SPECIALISED}>", "ret"],
            **{CREATE: ["lock cmpxchg %rcx,(%rdx)", "lock xadd %rax,0x8(%rdx)", "ret"],
               UPDATE_SPECIALISED: ["lock cmpxchg %rsi,0x8(%rdi)", "ret"]}))
        self.assertTrue(passed, printed)
        self.assertIn(f"bin:   allowed (MAC learning): {CREATE} at 402000: lock cmpxchg %rcx,(%rdx)", printed)
        self.assertIn(f"bin:   allowed (MAC learning): {CREATE} at 402004: lock xadd %rax,0x8(%rdx)", printed)
        self.assertIn(f"bin:   allowed (MAC learning): {UPDATE_SPECIALISED} at 403000: lock cmpxchg %rsi,0x8(%rdi)",
                      printed)
        self.assertIn("3 locked instructions allowed in MAC learning", printed[-1])

    def test_the_allow_list_is_narrow(self):
        for name in (CREATE, UPDATE, UPDATE_SPECIALISED, UPDATE + ".cold.1"):
            self.assertTrue(CHECK.LOCKED_ALLOWED.match(name), name)
        refused = (
            "$s8Pipeline12MACTableViewV6createyyF",                               # other labels
            "$s8Pipeline12MACTableViewV6updateyyF",
            "$s8Pipeline12MACTableViewV14learnSearchingyyF",                      # calls them, no CAS of its own
            "$s8Pipeline12MACTableViewV9createAllyyF",                            # a longer name
            "$s8Pipeline13OtherTableViewV6create_4port3now6paused5foundyyF",      # another type
            CREATE + "yyXEfU_", UPDATE + "SiXEfU0_",                              # closures inside them
            LOOKUP, HELPER)
        for name in refused:
            self.assertFalse(CHECK.LOCKED_ALLOWED.match(name), name)

    def test_fences_fail_even_in_mac_learning(self):
        for fence in ("mfence", "lfence", "sfence"):
            for name in (HELPER, CREATE):
                passed, printed = run(program([f"call   402000 <{name}>", "ret"], **{name: [fence, "ret"]}))
                self.assertFalse(passed, (fence, name))
                self.assertIn(f"bin: {name} (reached from {PIPELINE_LOOP}) at 402000: {fence} (fence)", printed)

    def test_xchg_with_memory_fails_and_register_xchg_passes(self):
        passed, printed = run(program(["xchg   %rax,0x10(%rdx)", "ret"]))
        self.assertFalse(passed)
        self.assertIn("xchg with memory (implicitly locked)", printed[0])
        passed, printed = run(program(["xchg   %ax,%ax", "xchg   %rax,%rbx", "ret"]))
        self.assertTrue(passed, printed)

    def test_prefixed_and_commented_instructions_are_decoded(self):
        self.assertEqual(CHECK.locked("lock cmpxchg %rcx,(%rdx)"), "lock prefix")
        self.assertEqual(CHECK.locked("cs nopw 0x0(%rax,%rax,1)"), None)
        self.assertEqual(CHECK.transfer("f", "bnd jmp 402000 <g>"), ("jump", "g"))
        self.assertEqual(CHECK.transfer("f", "notrack jmp *%rax"), None)
        self.assertEqual(CHECK.transfer("f", "call   *0x2fd8(%rip)        # 404000 <x@GOT>"), None)
        self.assertEqual(CHECK.transfer("f", "callq  402000 <g>"), ("call", "g"))
        self.assertEqual(CHECK.transfer("f", "je     401010 <f+0x10>"), None)
        self.assertEqual(CHECK.transfer("f", "je     402000 <g+0x10>"), ("jump", "g"))

    def test_missing_loop_specialisations_fail(self):
        passed, printed = run({PIPELINE_LOOP: ["ret"]})
        self.assertFalse(passed)
        self.assertIn("expected the pipeline and io-baseline PMD loops", printed[0])

    def test_a_swift_target_missing_from_the_disassembly_fails(self):
        passed, printed = run(program([f"call   402000 <{HELPER}>", "ret"]))
        self.assertFalse(passed)
        self.assertIn(f"bin: {HELPER} (reached from {PIPELINE_LOOP}) is not in the disassembly", printed)


if __name__ == "__main__":
    unittest.main()
