def arep(o, n):
    global s
    assert s.count(o) == 1, (o[:60], s.count(o))
    s = s.replace(o, n)
arep('''- ENOMEM if KVM cannot allocate the scratch space of KVM_RESET_DIRTY_RINGS,
  which it allocates here so that a reset never fails for lack of memory.
  Part of that space is about one bit per page of every memslot that logs
  dirty pages (half of what KVM's dirty bitmap takes): for such memslots
  it is allocated here, for memslots that start logging later by
  KVM_SET_USER_MEMORY_REGION(2), which then fails with ENOMEM if it cannot.
''', '''- ENOMEM if KVM cannot allocate the scratch space of KVM_RESET_DIRTY_RINGS,
  which it allocates here so that a reset never fails for lack of memory.
  The rest of that space grows with the number of ring entries, never
  with guest memory, up to a fixed limit per VM: KVM_CREATE_VCPU makes
  room for the new vCPU's entries, and fails with ENOMEM if it cannot.
  Starting to log dirty pages in a memslot allocates nothing for the rings.
''')
arep('''the rings are gathered per memslot before they are write-protected, so a
page harvested several times, from one ring or several, is write-protected
once.''', '''the rings are gathered before they are write-protected, so a page
harvested several times, from one ring or several, is write-protected
once.''')
arep('''never fails for lack of memory: what it needs is allocated when the
capability is enabled and when a memslot starts logging dirty pages.  Calls
on one VM are serialized.  One call examines, in each ring, at most the
entries that ring held when the call reached it, so entries harvested
meanwhile in a ring already visited are left for the next call.  Only''', '''never fails for lack of memory: what it needs is allocated when the
capability is enabled and when a ring is created.  Calls on one VM are
serialized.  One call examines, in each ring, at most the entries that
ring held when the call reached it, so entries harvested meanwhile in a
ring already visited are left for the next call.  Only''')
if '- ENOMEM if the ring cannot be allocated.\n\nMapping.  The ring is mmap()ed from the VM fd at offset' in s:
    arep('''- ENOMEM if the ring cannot be allocated.

Mapping.  The ring is mmap()ed from the VM fd at offset''', '''- ENOMEM if the ring, or room for its entries in the scratch space of
  KVM_RESET_DIRTY_RINGS (section 8.29), cannot be allocated.

Mapping.  The ring is mmap()ed from the VM fd at offset''')
